'use client';
// Case work on the case page: "Merge into…" (pick a case by number or by searching, then confirm), the
// cases merged into this one with their Undo, the pointer shown when this case was merged (the page then
// moves on to the target, so a colleague's open page follows a merge), and per message "Split from here",
// "Split this message" and "Move to…". The server decides what is allowed (server/domain/case-merge.ts);
// its refusals are shown in its words.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { caseNumberFromDigits, formatCaseNumber, parseCaseNumber } from '@/server/domain/case-number';
import type { CaseHeader } from '@/server/services/cases';
import { messageOf } from '../../../form-errors';
import { useToast } from '../../../toast';
import { useTRPC } from '../../../trpc';
import { formatDateTime } from '../../components/format';

/** "LC0000042", "42", "[LC0000042]" or a picked suggestion "LC0000042 — Printer on fire" → 42. */
function typedCaseNumber(text: string): number | null {
  const first = text.trim().split(/\s+/)[0] ?? '';
  return parseCaseNumber(first) ?? (/^\d{1,10}$/.test(first) ? caseNumberFromDigits(first) : null);
}

function useInvalidateCases() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: trpc.cases.get.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.cases.list.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.cases.mergeInfo.pathKey() });
  };
}

/** A case number field with suggestions from the case search (number, subject, sender, text). */
function CasePicker({ value, onChange, label, exclude }: { value: string; onChange: (v: string) => void; label: string; exclude: string }) {
  const trpc = useTRPC();
  const listId = useId();
  const search = value.trim();
  const suggestions = useQuery({
    ...trpc.cases.list.queryOptions({ search, limit: 8 }),
    enabled: search.length >= 2 && typedCaseNumber(search) === null,
  });
  return (
    <div className="field">
      <label htmlFor={`${listId}-input`}>{label}</label>
      <input
        id={`${listId}-input`}
        name="targetCase"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder="LC0000123 or words to search"
        list={listId}
        autoComplete="off"
      />
      <datalist id={listId}>
        {(suggestions.data?.items ?? [])
          .filter((c) => c.caseNumber !== exclude)
          .map((c) => (
            <option key={c.id} value={`${c.caseNumber} — ${c.subject}`} />
          ))}
      </datalist>
    </div>
  );
}

/** The "Merge into…" card of the actions column, with the merges into this case that can be undone. */
export function MergeAction({ detail }: { detail: CaseHeader }) {
  const trpc = useTRPC();
  const toast = useToast();
  const router = useRouter();
  const invalidate = useInvalidateCases();
  const [target, setTarget] = useState('');
  const [confirming, setConfirming] = useState<number | null>(null);
  const info = useQuery(trpc.cases.mergeInfo.queryOptions({ caseId: detail.id }));
  // New mail or a colleague's action changes what can be undone: read it again with every case update.
  const refetchInfo = info.refetch;
  useEffect(() => void refetchInfo(), [detail.lastActivityAt, refetchInfo]);

  const merge = useMutation(
    trpc.cases.merge.mutationOptions({
      onSuccess: (result) => {
        toast.success(`${result.sourceNumber} was merged into ${result.targetNumber}.`);
        invalidate();
        router.push(`/cases/${result.targetNumber}?from=${result.sourceNumber}`);
      },
    }),
  );
  const undo = useMutation(
    trpc.cases.undoMerge.mutationOptions({
      onSuccess: (result) => {
        toast.success(`The merge of ${result.caseNumber} was undone: its ${result.messagesMoved} messages are back.`);
        invalidate();
      },
    }),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = typedCaseNumber(target);
    if (n !== null) setConfirming(n);
  };
  const typed = typedCaseNumber(target);

  return (
    <section className="card form" aria-label="Merge">
      <h2>Merge</h2>
      {(info.data?.mergedHere ?? []).map((m) => (
        <div key={m.caseId} className="small" data-testid="merged-here">
          <Link href={`/cases/${m.caseNumber}`} className="mono">
            {m.caseNumber}
          </Link>{' '}
          was merged into this case on {formatDateTime(m.at)}.{' '}
          {m.undo.ok ? (
            <button type="button" className="button small" disabled={undo.isPending} onClick={() => undo.mutate({ caseId: m.caseId })}>
              Undo merge
            </button>
          ) : (
            <span className="muted">{m.undo.reason}</span>
          )}
        </div>
      ))}
      {undo.isError && <p className="form-error">{messageOf(undo.error)}</p>}
      {confirming === null ? (
        <form onSubmit={submit} aria-label="Merge this case">
          <p className="muted small">Moves every message of {detail.caseNumber} into another case; mail for {detail.caseNumber} goes there afterwards.</p>
          <CasePicker label="Merge into" value={target} onChange={setTarget} exclude={detail.caseNumber} />
          <div className="form-actions">
            <button type="submit" className="button" disabled={typed === null}>
              Merge into…
            </button>
          </div>
        </form>
      ) : (
        <div className="form-warning" role="alertdialog" aria-label="Confirm the merge">
          <p>
            Merge {detail.caseNumber} into {formatCaseNumber(confirming)}? Its messages, notes and sent mail move there, and mail tagged{' '}
            {detail.caseNumber} will join {formatCaseNumber(confirming)}. It can be undone until something new arrives there.
          </p>
          <div className="form-actions">
            <button
              type="button"
              className="button primary"
              disabled={merge.isPending}
              onClick={() => merge.mutate({ caseId: detail.id, targetNumber: confirming })}
            >
              {merge.isPending ? 'Merging…' : `Merge into ${formatCaseNumber(confirming)}`}
            </button>
            <button
              type="button"
              className="button ghost"
              onClick={() => {
                setConfirming(null);
                merge.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      {merge.isError && <p className="form-error">{messageOf(merge.error)}</p>}
    </section>
  );
}

/**
 * Shown on a case that was merged: where it went, with Undo while that is possible. The page moves on to
 * the target by itself, so an agent who had this case open (or follows an old link) lands where the
 * conversation continues; `?from=` keeps the pointer's number visible there.
 */
export function MergedNotice({ detail }: { detail: CaseHeader }) {
  const router = useRouter();
  const target = detail.mergedInto?.caseNumber ?? null;
  useEffect(() => {
    if (target) router.replace(`/cases/${target}?from=${detail.caseNumber}`);
  }, [target, detail.caseNumber, router]);
  if (!target) return null;
  return (
    <p className="form-warning" role="status" data-testid="merged-into">
      {detail.caseNumber} was merged into <Link href={`/cases/${target}`}>{target}</Link>. Opening {target}…
    </p>
  );
}

/** Said on the target after following a merged case's link or a colleague's merge. */
export function ArrivedFromMerge({ detail }: { detail: CaseHeader }) {
  const [from, setFrom] = useState<string | null>(null);
  useEffect(() => {
    const value = new URLSearchParams(window.location.search).get('from');
    setFrom(value && parseCaseNumber(value) !== null ? value : null);
  }, [detail.id]);
  if (!from || detail.mergedInto) return null;
  return (
    <p className="form-ok" role="status" data-testid="arrived-from-merge">
      {from} was merged into {detail.caseNumber}; you are looking at {detail.caseNumber} now.
    </p>
  );
}

/** Per message: split it (alone or with the ones after it) into a new case, or move it to another case. */
export function MessageCaseWork({ messageId }: { messageId: string }) {
  const trpc = useTRPC();
  const toast = useToast();
  const router = useRouter();
  const invalidate = useInvalidateCases();
  const [mode, setMode] = useState<'closed' | 'split-following' | 'split-one' | 'move'>('closed');
  const [target, setTarget] = useState('');
  const split = useMutation(
    trpc.cases.split.mutationOptions({
      onSuccess: (result) => {
        toast.success(`${result.caseNumber} was opened with ${result.messagesMoved} ${result.messagesMoved === 1 ? 'message' : 'messages'}.`);
        invalidate();
        router.push(`/cases/${result.caseNumber}`);
      },
    }),
  );
  const move = useMutation(
    trpc.cases.moveMessage.mutationOptions({
      onSuccess: (result) => {
        toast.success(`The message was moved to ${result.toNumber}.`);
        setMode('closed');
        invalidate();
      },
    }),
  );
  const error = split.error ?? move.error;
  const targetNumber = typedCaseNumber(target);

  return (
    <div className="message-case-work small" data-testid="message-case-work">
      {mode === 'closed' && (
        <>
          <button type="button" className="button small ghost" onClick={() => setMode('split-following')}>
            Split from here
          </button>
          <button type="button" className="button small ghost" onClick={() => setMode('split-one')}>
            Split this message
          </button>
          <button type="button" className="button small ghost" onClick={() => setMode('move')}>
            Move to…
          </button>
        </>
      )}
      {(mode === 'split-following' || mode === 'split-one') && (
        <div className="form-warning" role="alertdialog" aria-label="Confirm the split">
          <p>
            {mode === 'split-following'
              ? 'Open a new case with this message and every message after it? They leave this case.'
              : 'Open a new case with this message alone? It leaves this case.'}
          </p>
          <button
            type="button"
            className="button primary small"
            disabled={split.isPending}
            onClick={() => split.mutate({ messageId, withFollowing: mode === 'split-following' })}
          >
            {split.isPending ? 'Splitting…' : 'Split into a new case'}
          </button>{' '}
          <button type="button" className="button ghost small" onClick={() => setMode('closed')}>
            Cancel
          </button>
        </div>
      )}
      {mode === 'move' && (
        <form
          aria-label="Move the message"
          onSubmit={(e) => {
            e.preventDefault();
            if (targetNumber !== null) move.mutate({ messageId, targetNumber });
          }}
        >
          <CasePicker label="Move to case" value={target} onChange={setTarget} exclude="" />
          <button type="submit" className="button primary small" disabled={targetNumber === null || move.isPending}>
            {targetNumber === null ? 'Move' : `Move to ${formatCaseNumber(targetNumber)}`}
          </button>{' '}
          <button type="button" className="button ghost small" onClick={() => setMode('closed')}>
            Cancel
          </button>
        </form>
      )}
      {error && <p className="form-error">{messageOf(error)}</p>}
    </div>
  );
}
