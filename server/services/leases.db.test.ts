import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { emailProcessors, processorFilters, processorLeases, workers } from '../db/schema';
import { lockProcessorForIngest } from './ingest-mailbox';
import { acquireLeases, fairShare, forgetWorker, heartbeat, msUntilNextForeignLapse, releaseLeases, renewLeases, unrunnableAmong } from './leases';

let testDb: TestDatabase;

async function addProcessor(n: number, opts: { active?: boolean; filter?: boolean } = {}) {
  const [p] = await testDb.db
    .insert(emailProcessors)
    .values({
      emailAddress: `box${n}@example.test`,
      name: `Box ${n}`,
      active: opts.active ?? true,
      host: '127.0.0.1',
      port: 143,
      useSsl: false,
      login: `box${n}`,
      passwordCiphertext: 'v1:x:x:x:x',
      autoReply: false,
    })
    .returning({ id: emailProcessors.id });
  if (opts.filter ?? true) await testDb.db.insert(processorFilters).values({ processorId: p.id });
  return p.id;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
});

beforeEach(async () => {
  await testDb.db.delete(emailProcessors);
});

afterAll(() => testDb.drop());

/** Resolves with the call's result, or with 'still waiting' once `ms` pass. */
function within<T>(ms: number, call: Promise<T>): Promise<T | 'still waiting'> {
  return Promise.race([call, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);
}

describe('processor leases', () => {
  it("are taken and renewed while a mailbox's ingest holds its processor row, without waiting for that transaction", async () => {
    const busy = await addProcessor(30);
    const idle = await addProcessor(31);
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const ingest = testDb.db.transaction(async (tx) => {
      await lockProcessorForIngest(tx, busy, null);
      locked();
      await holding;
    });
    try {
      await lockTaken;
      const taken = await within(3_000, acquireLeases({ db: testDb.db, workerId: 'w1', ttlMs: 10_000, limit: 10 }));
      expect(taken === 'still waiting' ? taken : [...taken].sort()).toEqual([busy, idle].sort());
      expect(await within(3_000, renewLeases({ db: testDb.db, workerId: 'w1', ttlMs: 10_000, processorIds: [busy, idle] }))).toEqual(new Set([busy, idle]));
      expect(await within(3_000, releaseLeases({ db: testDb.db, workerId: 'w1', processorIds: [busy] }))).toBeUndefined();
    } finally {
      release();
      await ingest;
    }
  });

  it('leases only active processors that have a filter', async () => {
    const runnable = await addProcessor(1);
    await addProcessor(2, { active: false });
    await addProcessor(3, { filter: false });
    expect(await acquireLeases({ db: testDb.db, workerId: 'w1', ttlMs: 10_000, limit: 10 })).toEqual([runnable]);
  });

  it('gives each processor to exactly one of two workers claiming at once', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => addProcessor(100 + i)));
    const [a, b] = await Promise.all([
      acquireLeases({ db: testDb.db, workerId: 'w1', ttlMs: 10_000, limit: 100 }),
      acquireLeases({ db: testDb.db, workerId: 'w2', ttlMs: 10_000, limit: 100 }),
    ]);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect([...a, ...b].sort()).toEqual([...ids].sort());
  });

  it('lets another worker take a processor once its lease lapsed, and the old holder cannot renew it', async () => {
    const id = await addProcessor(4);
    expect(await acquireLeases({ db: testDb.db, workerId: 'dead', ttlMs: 10_000, limit: 10 })).toEqual([id]);
    expect(await acquireLeases({ db: testDb.db, workerId: 'w2', ttlMs: 10_000, limit: 10 })).toEqual([]);
    await testDb.db.update(processorLeases).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(processorLeases.processorId, id));
    expect(await acquireLeases({ db: testDb.db, workerId: 'w2', ttlMs: 10_000, limit: 10 })).toEqual([id]);
    expect(await renewLeases({ db: testDb.db, workerId: 'dead', ttlMs: 10_000, processorIds: [id] })).toEqual(new Set());
    expect(await renewLeases({ db: testDb.db, workerId: 'w2', ttlMs: 10_000, processorIds: [id] })).toEqual(new Set([id]));
  });

  it('names held processors that were deactivated or lost their filters', async () => {
    const keep = await addProcessor(5);
    const off = await addProcessor(6);
    const bare = await addProcessor(7);
    await testDb.db.update(emailProcessors).set({ active: false }).where(eq(emailProcessors.id, off));
    await testDb.db.delete(processorFilters).where(eq(processorFilters.processorId, bare));
    expect(await unrunnableAmong({ db: testDb.db, processorIds: [keep, off, bare] })).toEqual(new Set([off, bare]));
  });

  it('frees released processors for any worker at once', async () => {
    const id = await addProcessor(8);
    await acquireLeases({ db: testDb.db, workerId: 'w1', ttlMs: 60_000, limit: 10 });
    await releaseLeases({ db: testDb.db, workerId: 'w1', processorIds: [id] });
    expect(await acquireLeases({ db: testDb.db, workerId: 'w2', ttlMs: 60_000, limit: 10 })).toEqual([id]);
  });
});

describe('sharing processors among workers', () => {
  it('divides the runnable processors among the workers alive, rounding up', async () => {
    await testDb.db.delete(workers);
    for (let i = 0; i < 5; i++) await addProcessor(200 + i);
    await addProcessor(299, { active: false });
    await heartbeat({ db: testDb.db, workerId: 'w1', ttlMs: 10_000 });
    expect(await fairShare({ db: testDb.db, ttlMs: 10_000 })).toBe(5);
    await heartbeat({ db: testDb.db, workerId: 'w2', ttlMs: 10_000 });
    expect(await fairShare({ db: testDb.db, ttlMs: 10_000 })).toBe(3);
  });

  it('stops counting a worker whose heartbeat lapsed or that said goodbye', async () => {
    await testDb.db.delete(workers);
    for (let i = 0; i < 4; i++) await addProcessor(300 + i);
    await heartbeat({ db: testDb.db, workerId: 'w1', ttlMs: 10_000 });
    await heartbeat({ db: testDb.db, workerId: 'stalled', ttlMs: 10_000 });
    await heartbeat({ db: testDb.db, workerId: 'leaving', ttlMs: 10_000 });
    await testDb.db.update(workers).set({ heartbeatAt: sql`now() - interval '11 seconds'` }).where(eq(workers.id, 'stalled'));
    await forgetWorker({ db: testDb.db, workerId: 'leaving' });
    expect(await fairShare({ db: testDb.db, ttlMs: 10_000 })).toBe(4);
  });

  it("says when another worker's next lease or heartbeat lapses, ignoring its own and lapsed ones", async () => {
    await testDb.db.delete(workers);
    await addProcessor(300);
    await addProcessor(301);
    const db = testDb.db;
    expect(await msUntilNextForeignLapse({ db, workerId: 'w1', ttlMs: 10_000 })).toBeNull();
    await acquireLeases({ db, workerId: 'w1', ttlMs: 10_000, limit: 1 });
    await heartbeat({ db, workerId: 'w1', ttlMs: 10_000 });
    expect(await msUntilNextForeignLapse({ db, workerId: 'w1', ttlMs: 10_000 })).toBeNull();

    await acquireLeases({ db, workerId: 'w2', ttlMs: 4_000, limit: 1 });
    const lease = await msUntilNextForeignLapse({ db, workerId: 'w1', ttlMs: 10_000 });
    expect(lease).toBeGreaterThan(3_000);
    expect(lease).toBeLessThanOrEqual(4_000);

    // w2's heartbeat, two seconds old with a 10 s lapse time: 8 s left, later than its lease.
    await db.insert(workers).values({ id: 'w2', heartbeatAt: sql`now() - interval '2 seconds'` });
    expect(await msUntilNextForeignLapse({ db, workerId: 'w1', ttlMs: 10_000 })).toBeLessThanOrEqual(4_000);
    await db.update(processorLeases).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(processorLeases.leaseOwner, 'w2'));
    const heartbeatLeft = await msUntilNextForeignLapse({ db, workerId: 'w1', ttlMs: 10_000 });
    expect(heartbeatLeft).toBeGreaterThan(7_000);
    expect(heartbeatLeft).toBeLessThanOrEqual(8_000);
  });
});
