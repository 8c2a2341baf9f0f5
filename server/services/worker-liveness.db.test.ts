import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { LivenessLock } from '../../worker/liveness-lock';
import { emailProcessors, outbox, processorFilters, workers } from '../db/schema';
import { createLogger } from '../log';
import { acquireLeases, fairShare, heartbeat } from './leases';
import { claimDueOutbox } from './outbox';
import { deadWorkersHoldingLeases, holdLivenessLock, LIVENESS_LOCK_SPACE } from './worker-liveness';

let testDb: TestDatabase;
const log = createLogger('test');
const TTL = 60_000;
const locks: LivenessLock[] = [];

async function addProcessors(n: number) {
  const rows = await testDb.db
    .insert(emailProcessors)
    .values(
      Array.from({ length: n }, (_, i) => ({
        emailAddress: `box${i}@example.test`,
        name: `Box ${i}`,
        host: '127.0.0.1',
        port: 143,
        useSsl: false,
        login: `box${i}`,
        passwordCiphertext: 'v1:x:x:x:x',
        autoReply: false,
      })),
    )
    .returning({ id: emailProcessors.id });
  await testDb.db.insert(processorFilters).values(rows.map((r) => ({ processorId: r.id })));
  return rows.map((r) => r.id);
}

/** A worker as worker/index.ts runs one: its liveness lock taken, its heartbeat sent, some leases held. */
async function startWorker(workerId: string, leases: number) {
  const lock = new LivenessLock({ url: testDb.url, workerId, log, timeoutMs: 5_000 });
  locks.push(lock);
  expect(await lock.ensure()).toBe(true);
  await heartbeat({ db: testDb.db, workerId, ttlMs: TTL });
  const held = await acquireLeases({ db: testDb.db, workerId, ttlMs: TTL, limit: leases });
  return { lock, held };
}

/** The backend pid of the session holding `workerId`'s liveness lock. */
async function lockSessionPid(workerId: string): Promise<number> {
  const [row] = await testDb.db.execute<{ pid: number }>(sql`
    select l.pid from pg_locks l join workers w on l.objid = w.liveness_key::oid
     where w.id = ${workerId} and l.locktype = 'advisory' and l.classid = ${LIVENESS_LOCK_SPACE}::int::oid and l.granted`);
  return row!.pid;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
});
beforeEach(async () => {
  await Promise.all(locks.splice(0).map((l) => l.stop()));
  await testDb.db.delete(emailProcessors);
  await testDb.db.delete(workers);
  await testDb.db.delete(outbox);
});
afterAll(async () => {
  await Promise.all(locks.splice(0).map((l) => l.stop()));
  await testDb.drop();
});

describe('worker liveness', () => {
  it("takes a killed worker's unexpired leases at once, and never those of a worker whose lock is held", async () => {
    await addProcessors(6);
    const a = await startWorker('a', 3);
    const b = await startWorker('b', 3);
    expect(a.held).toHaveLength(3);
    expect(b.held).toHaveLength(3);
    // Both alive, leases a minute from lapsing: nothing to take.
    expect(await acquireLeases({ db: testDb.db, workerId: 'b', ttlMs: TTL, limit: 10 })).toEqual([]);
    expect(await deadWorkersHoldingLeases({ db: testDb.db, workerId: 'b' })).toEqual([]);
    expect(await fairShare({ db: testDb.db, ttlMs: TTL })).toBe(3);

    // a's process dies: PostgreSQL ends its session, and with it the lock.
    await testDb.sql`select pg_terminate_backend(${await lockSessionPid('a')})`;
    await expect.poll(() => deadWorkersHoldingLeases({ db: testDb.db, workerId: 'b' })).toEqual(['a']);
    expect(await fairShare({ db: testDb.db, ttlMs: TTL })).toBe(6);
    expect((await acquireLeases({ db: testDb.db, workerId: 'b', ttlMs: TTL, limit: 10 })).sort()).toEqual([...a.held].sort());
    expect(await deadWorkersHoldingLeases({ db: testDb.db, workerId: 'b' })).toEqual([]);
  });

  it('does not count a lock freed by a restart of PostgreSQL until the worker took it again on the new server run', async () => {
    await addProcessors(2);
    const a = await startWorker('a', 2);
    // The row says the lock was taken on an earlier server run (as after a restart, which frees every lock).
    await testDb.db.update(workers).set({ livenessServerStart: sql`pg_postmaster_start_time() - interval '1 hour'` }).where(eq(workers.id, 'a'));
    await a.lock.stop();
    expect(await deadWorkersHoldingLeases({ db: testDb.db, workerId: 'b' })).toEqual([]);
    expect(await acquireLeases({ db: testDb.db, workerId: 'b', ttlMs: TTL, limit: 10 })).toEqual([]);
    // Its heartbeat still speaks for it.
    await heartbeat({ db: testDb.db, workerId: 'b', ttlMs: TTL });
    expect(await fairShare({ db: testDb.db, ttlMs: TTL })).toBe(1);
  });

  it('never judges a worker by a lock it has not taken', async () => {
    await addProcessors(1);
    await heartbeat({ db: testDb.db, workerId: 'a', ttlMs: TTL });
    await acquireLeases({ db: testDb.db, workerId: 'a', ttlMs: TTL, limit: 1 });
    expect(await deadWorkersHoldingLeases({ db: testDb.db, workerId: 'b' })).toEqual([]);
    expect(await acquireLeases({ db: testDb.db, workerId: 'b', ttlMs: TTL, limit: 10 })).toEqual([]);
  });

  it('takes the lock again on a new session after its session ended, and refuses a key another session holds', async () => {
    const a = await startWorker('a', 0);
    const before = await lockSessionPid('a');
    await testDb.sql`select pg_terminate_backend(${before})`;
    // The next check notices and takes it on a new connection.
    await expect.poll(() => a.lock.ensure(), { timeout: 10_000 }).toBe(true);
    expect(await lockSessionPid('a')).not.toBe(before);
    expect(await deadWorkersHoldingLeases({ db: testDb.db, workerId: 'b' })).toEqual([]);

    const [{ key }] = await testDb.db.execute<{ key: number }>(sql`select liveness_key as key from workers where id = 'a'`);
    expect(await holdLivenessLock({ db: testDb.db, workerId: 'c', key })).toBe(false);
  });

  it("recovers a killed worker's outbox claim at once", async () => {
    await startWorker('a', 0);
    await testDb.db.insert(outbox).values({
      kind: 'auto_reply',
      fromAddress: 'support@example.test',
      toAddress: 'customer@example.test',
      subject: '[LC0000001] Re: help',
      textBody: 'We got your message.',
      idempotencyKey: `auto-reply:${Math.random()}`,
    });
    expect(await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 10 * 60_000, workerId: 'a', workerLiveMs: TTL })).toHaveLength(1);
    // While a lives, its claim is its own.
    expect(await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 10 * 60_000, workerId: 'b', workerLiveMs: TTL })).toHaveLength(0);
    await testDb.sql`select pg_terminate_backend(${await lockSessionPid('a')})`;
    await expect.poll(() => claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 10 * 60_000, workerId: 'b', workerLiveMs: TTL })).toHaveLength(1);
  });
});
