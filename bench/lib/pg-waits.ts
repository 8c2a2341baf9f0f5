// What the worker's database sessions are doing while something runs: pg_stat_activity sampled every few
// milliseconds, each non-idle worker session counted under its wait event ("CPU" when it waits on nothing),
// so a scenario can say whether other mailboxes wait on a lock, on WAL, on I/O or on the worker itself
// (a session "idle in transaction" waits for the worker to send its next statement). A session whose
// transaction has run for more than 250 ms is counted apart ("long transaction, …"): while a big message is
// stored, that is its transaction, and the rest are the other mailboxes' short ones.
import { sql } from 'drizzle-orm';
import type { Database } from '../../server/db/client';
import { sleep } from './context';

export type WaitSampler = { stop(): Promise<WaitSummary> };
export type WaitSummary = { samples: number; byWait: Array<{ wait: string; share: number }> };

export function sampleWorkerWaits(db: Database, options: { applicationName?: string; everyMs?: number } = {}): WaitSampler {
  const applicationName = options.applicationName ?? 'leopard';
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await db.execute<{ wait: string }>(sql`
        select case when now() - xact_start > interval '250 milliseconds' then 'long transaction, ' else '' end
               || case when state = 'idle in transaction' then 'idle in transaction (waits for the worker)'
                       when wait_event is null then 'CPU (no wait)'
                       else wait_event_type || ': ' || wait_event end as wait
          from pg_stat_activity
         where datname = current_database() and application_name = ${applicationName}
           and pid <> pg_backend_pid() and state <> 'idle'`);
      samples++;
      for (const { wait } of rows) counts.set(wait, (counts.get(wait) ?? 0) + 1);
      await sleep(options.everyMs ?? 5);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      return {
        samples,
        byWait: [...counts].sort((a, b) => b[1] - a[1]).map(([wait, n]) => ({ wait, share: total ? n / total : 0 })),
      };
    },
  };
}

/** The worker's event-loop delay, max and p99 since the last read (prom-client resets it on every scrape). */
export async function eventLoopDelay(port: number): Promise<{ maxMs: number; p99Ms: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) * 1000 : Number.NaN;
  };
  return { maxMs: value('leopard_worker_nodejs_eventloop_lag_max_seconds'), p99Ms: value('leopard_worker_nodejs_eventloop_lag_p99_seconds') };
}
