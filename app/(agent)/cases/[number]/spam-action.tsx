'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { describeSpamOutcome } from '@/server/domain/spam-contact-rule';
import { messageOf } from '../../../form-errors';
import { useTRPC } from '../../../trpc';

// Marking spam may delete the contact this email created (the seed's rule); the outcome stays on
// the page, in words, until the next spam action, so the agent knows what happened to the contact.
export function SpamAction({ caseId, isSpam }: { caseId: string; isSpam: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState<string | null>(null);
  const setSpam = useMutation(
    trpc.cases.setSpam.mutationOptions({
      onSuccess: (result) => {
        setOutcome(describeSpamOutcome(result));
        void queryClient.invalidateQueries({ queryKey: trpc.cases.get.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.cases.list.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.contacts.pathKey() });
      },
    }),
  );
  return (
    <section className="card" aria-label="Spam">
      <h2>Spam</h2>
      <p className="muted small">
        {isSpam
          ? 'This case is marked as spam and hidden from the case list.'
          : 'Spam is hidden from the case list. A contact that this email created is deleted, unless it has other cases.'}
      </p>
      <button
        type="button"
        className={isSpam ? 'button' : 'button danger'}
        disabled={setSpam.isPending}
        onClick={() => setSpam.mutate({ caseId, spam: !isSpam })}
      >
        {isSpam ? 'Not spam' : 'Mark as spam'}
      </button>
      {outcome && (
        <p className="form-ok" role="status" data-testid="spam-outcome">
          {outcome}
        </p>
      )}
      {setSpam.isError && <p className="form-error">{messageOf(setSpam.error)}</p>}
    </section>
  );
}
