'use client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../../trpc';

const STATUS_LABEL = { new: 'New', open: 'Open', pending: 'Pending', closed: 'Closed' } as const;

export function CaseList() {
  const trpc = useTRPC();
  const [mine, setMine] = useState(false);
  const query = useInfiniteQuery(
    trpc.cases.list.infiniteQueryOptions(
      { limit: 50, mine },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <section className="card">
      <div className="toolbar">
        <label className="checkbox">
          <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} /> Only mine
        </label>
      </div>
      {query.isError && <p className="form-error">Could not load cases: {query.error.message}</p>}
      {query.isPending ? (
        <p className="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p className="empty">No cases yet. Cases appear here as mail arrives in a connected mailbox.</p>
      ) : (
        <table className="table" data-testid="case-table">
          <thead>
            <tr>
              <th>Case</th>
              <th>Subject</th>
              <th>Contact</th>
              <th>Status</th>
              <th>Last activity</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id} className={c.status === 'new' ? 'unread' : undefined}>
                <td className="mono">{c.caseNumber}</td>
                <td>{c.subject || <span className="muted">(no subject)</span>}</td>
                <td>{c.contactEmail ?? ''}</td>
                <td>
                  <span className={`status status-${c.status}`}>{STATUS_LABEL[c.status]}</span>
                  {c.isSpam && <span className="badge danger">spam</span>}
                </td>
                <td>{c.lastActivityAt.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {query.hasNextPage && (
        <button type="button" className="button" onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          Load more
        </button>
      )}
    </section>
  );
}
