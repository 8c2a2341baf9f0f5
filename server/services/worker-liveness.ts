// Whether a worker is alive. Two signs, either of which makes a worker dead:
// - its heartbeat is older than LEASE_TTL_MS (the fallback: a stalled worker, a worker whose database
//   connection is half open, a worker that never took its lock);
// - the session-level advisory lock it holds on a database session of its own is free. PostgreSQL frees it
//   the moment that session ends, so a killed worker (SIGKILL, a crash, an OOM kill) is known dead at once
//   instead of after LEASE_TTL_MS.
// A PostgreSQL restart frees every lock at once, of live workers too. So a freed lock counts only when it was
// taken on this same server run (pg_postmaster_start_time()): until a worker has taken its lock again after a
// restart, only its heartbeat speaks for it. The lock needs a session of its own: through a pooler in
// transaction mode the lock stays with whichever server connection took it (use session mode for workers).
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';

/** The key space of the liveness locks, pg_advisory_lock(int, int), next to the others' (7361xxx). */
export const LIVENESS_LOCK_SPACE = 7_361_020;

/** Keys are drawn from 1 … 2^31-1 (an advisory lock's objid is an unsigned oid; positive keys compare plainly). */
export function randomLivenessKey(): number {
  return 1 + Math.floor(Math.random() * 0x7ffffffe);
}

/** The granted liveness lock with key `key`, in this database (optionally held by the session `pid`). */
function grantedLock(key: ReturnType<typeof sql>, pid?: ReturnType<typeof sql>) {
  return sql`exists (select 1 from pg_locks l
     where l.locktype = 'advisory' and l.granted and l.objsubid = 2
       and l.database = (select oid from pg_database where datname = current_database())
       and l.classid = ${LIVENESS_LOCK_SPACE}::int::oid and l.objid = (${key})::oid
       ${pid ? sql`and l.pid = ${pid}` : sql``})`;
}

/**
 * The workers row `alias` belongs to a worker known dead by its lock: it took its liveness lock on this server
 * run and the lock is free now. A worker that has not taken it (yet, or again since a restart) is never dead by this.
 */
export function livenessLockFreed(alias: string) {
  const w = sql.raw(alias);
  return sql`(${w}.liveness_key is not null and ${w}.liveness_server_start = pg_postmaster_start_time()
    and not ${grantedLock(sql`${w}.liveness_key`)})`;
}

/** The workers row `alias` is a live worker: a recent heartbeat and no freed liveness lock. */
export function liveWorker(alias: string, ttlMs: number) {
  const w = sql.raw(alias);
  return sql`(${w}.heartbeat_at > now() - make_interval(secs => ${ttlMs / 1000}) and not ${livenessLockFreed(alias)})`;
}

/**
 * Run on the worker's own lock session: takes the liveness lock `key` unless this session holds it already, and
 * records the key and this server run on the worker's row. False when another session holds that key (pick
 * another). Checking on every call that this very session holds the lock means a session that was replaced
 * (a reconnect) takes it again before it is recorded, never records a lock it does not hold.
 */
export async function holdLivenessLock({ db, workerId, key }: { db: DbOrTx; workerId: string; key: number }): Promise<boolean> {
  const rows = await db.execute<{ id: string }>(sql`
    with taken as (
      select case when ${grantedLock(sql`${key}::int`, sql`pg_backend_pid()`)} then true
                  else pg_try_advisory_lock(${LIVENESS_LOCK_SPACE}, ${key}::int) end as held)
    insert into workers (id, heartbeat_at, liveness_key, liveness_server_start)
    select ${workerId}, now(), ${key}::int, pg_postmaster_start_time() from taken where held
    on conflict (id) do update set liveness_key = excluded.liveness_key, liveness_server_start = excluded.liveness_server_start
    returning id`);
  return rows.length > 0;
}

/** Other workers, known dead by their freed locks, that still hold unexpired leases: time to take them over. */
export async function deadWorkersHoldingLeases({ db, workerId }: { db: DbOrTx; workerId: string }): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`
    select w.id from workers w
     where w.id <> ${workerId} and ${livenessLockFreed('w')}
       and exists (select 1 from processor_leases l where l.lease_owner = w.id and l.lease_expires_at > now())`);
  return rows.map((r) => r.id);
}
