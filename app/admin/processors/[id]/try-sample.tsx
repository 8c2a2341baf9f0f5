'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { fieldErrorsOf, messageOf } from '../../../form-errors';
import { useTRPC } from '../../../trpc';

export function TrySample({ processorId }: { processorId: string }) {
  const trpc = useTRPC();
  const [raw, setRaw] = useState('');
  const tryIt = useMutation(trpc.filters.try.mutationOptions());
  const filters = useQuery(trpc.filters.list.queryOptions({ processorId }));
  const catalog = useQuery(trpc.catalog.list.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const name = (list: Array<{ id: string; name: string }> | undefined, id: string | null) =>
    id ? (list?.find((x) => x.id === id)?.name ?? id) : '—';
  const position = (id: string) => (filters.data?.findIndex((f) => f.id === id) ?? -1) + 1;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    await tryIt.mutateAsync({ processorId, raw }).catch(() => {});
  }

  const result = tryIt.data;
  const error = tryIt.error ? (fieldErrorsOf(tryIt.error).raw ?? messageOf(tryIt.error)) : null;
  return (
    <section className="card" aria-labelledby="try-heading">
      <h2 id="try-heading">Try a message</h2>
      <p className="muted">Paste a raw email (headers, a blank line, the body) to see which filters match and what the case would get. Nothing is saved.</p>
      <form onSubmit={onSubmit} className="form">
        <textarea
          className="sample"
          aria-label="Sample message"
          value={raw}
          onChange={(e) => setRaw(e.target.value)}
          placeholder={'From: Jane Doe <jane@example.com>\nTo: support@example.com\nSubject: Invoice question\n\nHello…'}
        />
        <div className="form-actions">
          <button className="button" type="submit" disabled={!raw.trim() || tryIt.isPending}>
            Try filters
          </button>
        </div>
      </form>
      {error && <p className="form-error">{error}</p>}
      {result && (
        <dl className="definition" data-testid="try-result">
          <dt>Matched</dt>
          <dd>
            {result.matchedFilterIds.length === 0
              ? 'No filter'
              : result.matchedFilterIds.map((id) => `filter #${position(id)}`).join(', ')}
          </dd>
          <dt>Case type</dt>
          <dd>{name(catalog.data?.caseTypes, result.settings.caseTypeId)}</dd>
          <dt>Case priority</dt>
          <dd>{name(catalog.data?.casePriorities, result.settings.casePriorityId)}</dd>
          <dt>Assigned to</dt>
          <dd>{name(users.data, result.settings.assignedToId)}</dd>
          <dt>Managed by</dt>
          <dd>{name(users.data, result.settings.managedById)}</dd>
          {result.note && (
            <>
              <dt>Note</dt>
              <dd>{result.note}</dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}
