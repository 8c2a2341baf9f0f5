'use client';
// One case: header, actions, the thread and the composer. Any event about this case (new mail, a
// colleague's reply, note or change, a delivery state) refetches it, so the page shows what everyone
// else sees; the presence bar says who else is here and who is writing.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { formatCaseNumber } from '@/server/domain/case-number';
import type { CaseDetail } from '@/server/services/cases';
import { type LiveStatus, useCaseEvents } from '../../../realtime';
import { useTRPC } from '../../../trpc';
import { LiveIndicator } from '../../components/live-indicator';
import { CaseActions } from './case-actions';
import { CaseHeader } from './case-header';
import { Composer } from './composer';
import { MessageItem } from './message-item';
import { PresenceBar } from './presence-bar';
import { useCasePresence } from './use-case-presence';

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

  const me = useQuery(trpc.session.me.queryOptions());
  const caseId = query.data?.case.id ?? null;

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
  if (query.isPending || caseId === null) return <p className="muted">Loading {caseNumber}…</p>;
  return <CasePage data={query.data} live={live} selfId={me.data?.id ?? null} />;
}

function CasePage({ data, live, selfId }: { data: CaseDetail; live: LiveStatus; selfId: string | null }) {
  const { case: c, messages } = data;
  const presence = useCasePresence(c.id);
  const latestMessageAt = messages.length ? messages[messages.length - 1]!.receivedAt : null;
  const latestInboundId = messages.findLast((m) => m.direction === 'inbound' && !m.bounceOfId)?.id ?? null;

  return (
    <div className="case-page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link href="/cases">Cases</Link> / <span className="mono">{c.caseNumber}</span>
        <LiveIndicator status={live} />
      </nav>
      <CaseHeader detail={c} />
      <PresenceBar viewers={presence.viewers} selfId={selfId} />
      <div className="case-layout">
        <section aria-label="Messages" className="thread">
          <h2>
            {messages.length} {messages.length === 1 ? 'message' : 'messages'}
          </h2>
          {messages.length === 0 && <p className="muted">This case has no messages.</p>}
          {messages.map((m) => (
            <MessageItem key={m.id} message={m} />
          ))}
          <Composer caseId={c.id} latestMessageAt={latestMessageAt} latestInboundId={latestInboundId} onTyping={presence.reportTyping} />
        </section>
        <CaseActions detail={c} />
      </div>
    </div>
  );
}
