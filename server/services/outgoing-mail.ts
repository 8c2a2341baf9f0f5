// Whether auto-replies can go out at all: each worker reports with its heartbeat the outgoing
// transport it sends the outbox with (worker/index.ts → leases.heartbeat). The web app may run on
// another machine with other variables, so it asks the workers rather than reading its own env.
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { liveWorker } from './worker-liveness';

export type OutgoingMailStatus = {
  /** Live workers (server/services/worker-liveness.ts). */
  liveWorkers: number;
  /** Of those, the ones with a transport (Resend or SMTP). */
  sendingWorkers: number;
};

export type GetOutgoingMailStatusOptions = { db: DbOrTx; liveWithinMs: number };

export async function getOutgoingMailStatus({ db, liveWithinMs }: GetOutgoingMailStatusOptions): Promise<OutgoingMailStatus> {
  const [row] = await db.execute<{ live: number; sending: number }>(sql`
    select count(*)::int as live, count(outbound_transport)::int as sending
      from workers w
     where ${liveWorker('w', liveWithinMs)}`);
  return { liveWorkers: row?.live ?? 0, sendingWorkers: row?.sending ?? 0 };
}
