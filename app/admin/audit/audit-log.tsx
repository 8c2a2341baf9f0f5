'use client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTRPC } from '../../trpc';

export function AuditLog() {
  const trpc = useTRPC();
  const audit = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { limit: 50 },
      { getNextPageParam: (page) => page.nextBeforeId ?? undefined },
    ),
  );
  const items = audit.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="card">
      {audit.isError && <p className="form-error">{audit.error.message}</p>}
      <table className="table" data-testid="audit-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>What</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {items.map((entry) => (
            <tr key={entry.id}>
              <td>{entry.createdAt.toLocaleString()}</td>
              <td>{entry.actorEmail}</td>
              <td className="mono">{entry.action}</td>
              <td className="mono muted">{JSON.stringify(entry.details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {audit.hasNextPage && (
        <button type="button" className="button" onClick={() => audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
          Older entries
        </button>
      )}
    </section>
  );
}
