'use client';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { formatCaseNumber } from '@/server/domain/case-number';
import { messageOf } from '../../form-errors';
import { useToast } from '../../toast';
import { useTRPC } from '../../trpc';

export function QuarantineList() {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [includeResolved, setIncludeResolved] = useState(false);
  const list = useInfiniteQuery(
    trpc.quarantine.list.infiniteQueryOptions({ limit: 50, includeResolved }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
  );
  const retry = useMutation(
    trpc.quarantine.retry.mutationOptions({ onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.quarantine.pathKey() }) }),
  );
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

  async function onRetry(id: string) {
    try {
      const result = await retry.mutateAsync({ id });
      if (result.kind === 'quarantined') toast.error(`Still failing: ${result.error}`);
      else if (result.kind === 'duplicate') toast.success('Already stored: the message was a duplicate.');
      else toast.success(`Done: the message is now in ${formatCaseNumber(result.caseNumber)}.`);
    } catch (err) {
      toast.error(messageOf(err));
    }
  }

  return (
    <section className="card">
      <div className="toolbar">
        <label className="checkbox">
          <input type="checkbox" checked={includeResolved} onChange={(e) => setIncludeResolved(e.target.checked)} /> Show resolved
        </label>
      </div>
      {list.isError && <p className="form-error">{list.error.message}</p>}
      {list.isSuccess && items.length === 0 && <p className="empty">Nothing in quarantine. Every message became a case.</p>}
      {items.length > 0 && (
        <table className="table" data-testid="quarantine-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Mailbox</th>
              <th>Message</th>
              <th>Why</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {items.map((q) => (
              <tr key={q.id}>
                <td>{q.createdAt.toLocaleString()}</td>
                <td>{q.processorEmail ?? '(deleted mailbox)'}</td>
                <td>
                  <div>{q.subject ?? <span className="muted">(no subject)</span>}</div>
                  <small className="muted">
                    {q.from ?? 'unknown sender'} · {Math.ceil(q.size / 1024)} KB · UID {q.uid ?? '?'}
                  </small>
                </td>
                <td>
                  <span className="badge">{q.stage}</span> {q.error}
                  {q.attempts > 1 && <small className="muted"> ({q.attempts} attempts)</small>}
                </td>
                <td className="row-actions">
                  {q.resolvedAt ? (
                    q.resolvedCaseNumber !== null ? (
                      <Link href={`/cases/${formatCaseNumber(q.resolvedCaseNumber)}`}>{formatCaseNumber(q.resolvedCaseNumber)}</Link>
                    ) : (
                      'Resolved'
                    )
                  ) : (
                    <button type="button" className="button small" onClick={() => onRetry(q.id)} disabled={retry.isPending}>
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.hasNextPage && (
        <button type="button" className="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          Older entries
        </button>
      )}
    </section>
  );
}
