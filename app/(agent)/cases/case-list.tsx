'use client';
// The live case list. Data comes in keyset pages (cases.list); socket events patch the rows they
// name at once (status, subject…) and then refetch the loaded pages, because only the server can
// say where a changed case now sorts and whether it still matches the filters.
import { type InfiniteData, useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CaseEventSummary } from '@/server/realtime/events';
import type { CaseListPage } from '@/server/services/cases';
import { useCaseEvents } from '../../realtime';
import { useTRPC } from '../../trpc';
import { LiveIndicator } from '../components/live-indicator';
import { CaseFilters } from './case-filters';
import { CaseTable } from './case-table';
import { isFiltered, listInput, useCaseFilters } from './use-case-filters';

/** How long a row that just arrived stays highlighted. */
const ARRIVED_HIGHLIGHT_MS = 4_000;

function useArrivedRows() {
  const [arrived, setArrived] = useState<ReadonlySet<string>>(new Set());
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach(clearTimeout);
  }, []);
  const mark = useCallback((caseId: string) => {
    setArrived((current) => new Set(current).add(caseId));
    const timer = setTimeout(() => {
      timers.current.delete(timer);
      setArrived((current) => {
        const next = new Set(current);
        next.delete(caseId);
        return next;
      });
    }, ARRIVED_HIGHLIGHT_MS);
    timers.current.add(timer);
  }, []);
  return [arrived, mark] as const;
}

function patchRow(page: CaseListPage, summary: CaseEventSummary): CaseListPage {
  if (!page.items.some((c) => c.id === summary.caseId)) return page;
  return {
    ...page,
    items: page.items.map((c) =>
      c.id === summary.caseId
        ? { ...c, status: summary.status, isSpam: summary.isSpam, subject: summary.subject, lastActivityAt: new Date(summary.lastActivityAt) }
        : c,
    ),
  };
}

export function CaseList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [filters, setFilters] = useCaseFilters();
  const query = useInfiniteQuery(
    trpc.cases.list.infiniteQueryOptions(listInput(filters), { getNextPageParam: (page) => page.nextCursor ?? undefined }),
  );
  const [arrived, markArrived] = useArrivedRows();

  const refetchList = useCallback(
    () => queryClient.invalidateQueries({ queryKey: trpc.cases.list.pathKey() }),
    [queryClient, trpc],
  );
  const live = useCaseEvents({
    onEvent: (event) => {
      if (event.type === 'case.created') markArrived(event.case.caseId);
      queryClient.setQueriesData<InfiniteData<CaseListPage>>({ queryKey: trpc.cases.list.pathKey() }, (data) =>
        data ? { ...data, pages: data.pages.map((page) => patchRow(page, event.case)) } : data,
      );
      void refetchList();
    },
    onResync: () => void refetchList(),
  });

  const items = query.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <div className="page-header">
        <h1>Cases</h1>
        <LiveIndicator status={live} />
      </div>
      <section className="card">
        <CaseFilters key={filters.search} filters={filters} onChange={setFilters} />
        {query.isError && <p className="form-error">Could not load cases: {query.error.message}</p>}
        {query.isPending ? (
          <p className="muted">Loading…</p>
        ) : items.length === 0 ? (
          <p className="empty">
            {isFiltered(filters)
              ? 'No cases match these filters.'
              : 'No cases yet. Cases appear here as mail arrives in a connected mailbox.'}
          </p>
        ) : (
          <CaseTable items={items} arrived={arrived} />
        )}
        {query.hasNextPage && (
          <div className="load-more">
            <button type="button" className="button" onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
              {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </section>
    </>
  );
}
