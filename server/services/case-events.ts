// The one way to announce a case change to browsers. Call it inside the transaction that made the
// change: Postgres delivers a NOTIFY only on commit (and never after a rollback), every web
// instance LISTENs (server/realtime/socket-server.ts) and emits it to the agents' sockets.
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { formatCaseNumber } from '../domain/case-number';
import { type CaseEvent, type CaseEventSummary, encodeCaseEvent, EVENTS_CHANNEL } from '../realtime/events';

export async function publishCaseEvent(db: DbOrTx, event: CaseEvent): Promise<void> {
  await publishCaseEvents(db, [event]);
}

/** Several events in one statement, delivered in this order. */
export async function publishCaseEvents(db: DbOrTx, events: CaseEvent[]): Promise<void> {
  if (events.length === 0) return;
  const payloads = events.map((event) => sql`(${encodeCaseEvent(event)})`);
  await db.execute(sql`select pg_notify(${EVENTS_CHANNEL}, payload) from (values ${sql.join(payloads, sql`, `)}) as e(payload)`);
}

/** The summary an event carries, from a `cases` row: ids and a subject, never a body. */
export function caseEventSummary(row: {
  id: string;
  number: number;
  subject: string;
  status: CaseEventSummary['status'];
  isSpam: boolean;
  assignedToId: string | null;
  lastActivityAt: Date;
}): CaseEventSummary {
  return {
    caseId: row.id,
    caseNumber: formatCaseNumber(row.number),
    subject: row.subject,
    status: row.status,
    isSpam: row.isSpam,
    assignedToId: row.assignedToId,
    lastActivityAt: row.lastActivityAt.toISOString(),
  };
}
