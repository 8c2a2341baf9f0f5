'use client';
// One case: header, actions and the thread. Any event about this case (new mail, a colleague's
// change) refetches it, so the page shows what everyone else sees.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { formatCaseNumber } from '@/server/domain/case-number';
import { useCaseEvents } from '../../../realtime';
import { useTRPC } from '../../../trpc';
import { LiveIndicator } from '../../components/live-indicator';
import { CaseActions } from './case-actions';
import { CaseHeader } from './case-header';
import { MessageItem } from './message-item';

export function CaseView({ number }: { number: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const caseNumber = formatCaseNumber(number);
  const query = useQuery(trpc.cases.get.queryOptions({ number }));
  const refetch = () => void queryClient.invalidateQueries({ queryKey: trpc.cases.get.queryKey({ number }) });
  const live = useCaseEvents({
    onEvent: (event) => {
      if (event.case.caseNumber === caseNumber) refetch();
    },
    onResync: refetch,
  });

  if (query.isError) {
    return (
      <section className="card">
        <h1>{caseNumber}</h1>
        <p className="form-error">{query.error.message}</p>
        <p>
          <Link href="/cases">Back to the cases</Link>
        </p>
      </section>
    );
  }
  if (query.isPending) return <p className="muted">Loading {caseNumber}…</p>;
  const { case: c, messages } = query.data;

  return (
    <div className="case-page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link href="/cases">Cases</Link> / <span className="mono">{c.caseNumber}</span>
        <LiveIndicator status={live} />
      </nav>
      <CaseHeader detail={c} />
      <div className="case-layout">
        <section aria-label="Messages" className="thread">
          <h2>
            {messages.length} {messages.length === 1 ? 'message' : 'messages'}
          </h2>
          {messages.length === 0 && <p className="muted">This case has no messages.</p>}
          {messages.map((m) => (
            <MessageItem key={m.id} message={m} />
          ))}
        </section>
        <CaseActions detail={c} />
      </div>
    </div>
  );
}
