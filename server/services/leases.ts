// Leases: which worker works which processor (processor_leases). A worker holds a processor until its lease
// lapses; renewing moves the expiry forward; a lapsed lease (a dead or stalled worker) is free to take.
// Even if two workers ever overlap, ingest locks the processor row and the raw-message key is
// unique, so a message is still stored once; the lease keeps them from doing the work twice.
import { eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { emailProcessors } from '../db/schema';
import { livenessLockFreed, liveWorker } from './worker-liveness';

/**
 * Processor ids as one uuid[] parameter: a worker holds thousands, and a list of that many parameters
 * costs the worker more to build and bind (and Postgres more to parse) than the query itself.
 */
function idArray(ids: string[]) {
  return sql`${`{${ids.join(',')}}`}::uuid[]`;
}

export type LeaseOptions = { db: Database; workerId: string; ttlMs: number };

/**
 * The runnable rule of server/domain/processor-state.ts (isRunnable: active, with at least one filter) as a
 * condition on the email_processors row named `alias`, for the queries that pick processors to work.
 */
export function runnableProcessor(alias: string) {
  const p = sql.raw(alias);
  return sql`${p}.active and exists (select 1 from processor_filters f where f.processor_id = ${p}.id)`;
}

/** Renews the leases this worker still holds; returns the processors it still owns. */
export async function renewLeases({ db, workerId, ttlMs, processorIds }: LeaseOptions & { processorIds: string[] }): Promise<Set<string>> {
  if (processorIds.length === 0) return new Set();
  const rows = await db.execute<{ id: string }>(sql`
    update processor_leases
       set lease_expires_at = now() + make_interval(secs => ${ttlMs / 1000})
     where processor_id = any(${idArray(processorIds)})
       and lease_owner = ${workerId}
       and lease_expires_at > now()
    returning processor_id as id`);
  return new Set(rows.map((r) => r.id));
}

/**
 * Takes runnable processors (active, with at least one filter) that nobody holds, whose lease lapsed, or whose
 * holder is known dead by its freed liveness lock (server/services/worker-liveness.ts), up to `limit`. A lease of
 * a worker whose lock is held is never taken before it lapses. Workers claiming at once take the candidates in
 * the same order (by id), so one waits for the other's claim to commit rather than deadlocking with it.
 */
export async function acquireLeases({ db, workerId, ttlMs, limit }: LeaseOptions & { limit: number }): Promise<string[]> {
  // The candidates are read without locks; the upsert takes each one only if, by the time it holds the lease
  // row, it is still free (no row, lapsed, or its holder dead), so two workers never take the same one.
  const rows = await db.execute<{ id: string }>(sql`
    insert into processor_leases as l (processor_id, lease_owner, lease_expires_at)
    select p.id, ${workerId}, now() + make_interval(secs => ${ttlMs / 1000})
      from email_processors p
      left join processor_leases c on c.processor_id = p.id
     where ${runnableProcessor('p')}
       and (c.processor_id is null or ${leaseFree('c', workerId)})
     order by p.id
     limit ${limit}
    on conflict (processor_id) do update
       set lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at
     where ${leaseFree('l', workerId)}
    returning l.processor_id as id`);
  return rows.map((r) => r.id);
}

/** A lease row (named `alias`) that another worker may take: lapsed, or held by a worker known dead by its freed lock. */
function leaseFree(alias: string, workerId: string) {
  const l = sql.raw(alias);
  return sql`(${l}.lease_expires_at <= now()
          or ${l}.lease_owner in (select w.id from workers w where w.id <> ${workerId} and ${livenessLockFreed('w')}))`;
}

/** The held processors that should stop: deactivated, without filters, or deleted. */
export async function unrunnableAmong({ db, processorIds }: { db: Database; processorIds: string[] }): Promise<Set<string>> {
  if (processorIds.length === 0) return new Set();
  const rows = await db.execute<{ id: string }>(sql`
    select p.id from email_processors p
     where p.id = any(${idArray(processorIds)})
       and ${runnableProcessor('p')}`);
  const runnable = new Set(rows.map((r) => r.id));
  return new Set(processorIds.filter((id) => !runnable.has(id)));
}

export async function releaseLeases({ db, workerId, processorIds }: { db: Database; workerId: string; processorIds: string[] }): Promise<void> {
  if (processorIds.length === 0) return;
  await db.execute(sql`delete from processor_leases where processor_id = any(${idArray(processorIds)}) and lease_owner = ${workerId}`);
}

/**
 * Marks this worker alive, with the outgoing transport it sends the outbox with (null: none), so the
 * web app can tell admins when no running worker can send auto-replies. Workers silent for long are forgotten.
 */
export async function heartbeat({ db, workerId, ttlMs, outboundTransport = null }: LeaseOptions & { outboundTransport?: string | null }): Promise<void> {
  await db.execute(sql`
    insert into workers (id, heartbeat_at, outbound_transport) values (${workerId}, now(), ${outboundTransport})
    on conflict (id) do update set heartbeat_at = now(), outbound_transport = excluded.outbound_transport`);
  await db.execute(sql`delete from workers where heartbeat_at < now() - make_interval(secs => ${(ttlMs * 10) / 1000})`);
}

export async function forgetWorker({ db, workerId }: { db: Database; workerId: string }): Promise<void> {
  await db.execute(sql`delete from workers where id = ${workerId}`);
}

/**
 * How many processors this worker should hold: the runnable ones divided among the live workers (a heartbeat
 * within the lease time and no freed liveness lock), rounded up, so together they always cover all of them.
 */
export async function fairShare({ db, ttlMs }: { db: Database; ttlMs: number }): Promise<number> {
  const [row] = await db.execute<{ runnable: number; live: number }>(sql`
    select
      (select count(*)::int from email_processors p
        where ${runnableProcessor('p')}) as runnable,
      (select count(*)::int from workers w where ${liveWorker('w', ttlMs)}) as live`);
  return Math.ceil(row.runnable / Math.max(1, row.live));
}

/**
 * Milliseconds until the next lease or heartbeat of another worker lapses, or null when none is pending:
 * the supervisor ticks at that moment, so a dead worker's mailboxes are taken over when its leases lapse
 * rather than up to a tick interval later.
 */
export async function msUntilNextForeignLapse({ db, workerId, ttlMs }: LeaseOptions): Promise<number | null> {
  const [row] = await db.execute<{ ms: number | null }>(sql`
    select (extract(epoch from least(
      (select min(lease_expires_at) from processor_leases
        where lease_owner <> ${workerId} and lease_expires_at > now()),
      (select min(heartbeat_at) + make_interval(secs => ${ttlMs / 1000}) from workers
        where id <> ${workerId} and heartbeat_at > now() - make_interval(secs => ${ttlMs / 1000}))
    ) - now()) * 1000)::float8 as ms`);
  return row?.ms ?? null;
}

/**
 * A processor's settings version (its updated_at in milliseconds), or null once deleted: a session whose
 * version differs runs on old settings and is restarted.
 */
export async function processorSettingsVersion({ db, processorId }: { db: Database; processorId: string }): Promise<number | null> {
  const [row] = await db.select({ updatedAt: emailProcessors.updatedAt }).from(emailProcessors).where(eq(emailProcessors.id, processorId));
  return row ? row.updatedAt.getTime() : null;
}

export type SessionStart = { id: string; settingsVersion: number; type: (typeof emailProcessors.$inferSelect)['type'] };

/** What starting a session needs of each processor just leased, in one query (a deleted one is left out). */
export async function sessionStarts({ db, processorIds }: { db: Database; processorIds: string[] }): Promise<SessionStart[]> {
  if (processorIds.length === 0) return [];
  const rows = await db
    .select({ id: emailProcessors.id, updatedAt: emailProcessors.updatedAt, type: emailProcessors.type })
    .from(emailProcessors)
    .where(inArray(emailProcessors.id, processorIds));
  return rows.map((r) => ({ id: r.id, settingsVersion: r.updatedAt.getTime(), type: r.type }));
}
