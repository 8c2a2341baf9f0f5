import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { heartbeat } from './leases';
import { getOutgoingMailStatus } from './outgoing-mail';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
});
beforeEach(async () => {
  await testDb.db.execute(sql`delete from workers`);
});
afterAll(() => testDb.drop());

describe('whether auto-replies can go out', () => {
  it('counts only running workers, and of those the ones a heartbeat reported a transport for', async () => {
    const db = testDb.db;
    expect(await getOutgoingMailStatus({ db, liveWithinMs: 15_000 })).toEqual({ liveWorkers: 0, sendingWorkers: 0 });
    await heartbeat({ db, workerId: 'no-transport', ttlMs: 15_000 });
    expect(await getOutgoingMailStatus({ db, liveWithinMs: 15_000 })).toEqual({ liveWorkers: 1, sendingWorkers: 0 });
    await heartbeat({ db, workerId: 'resend', ttlMs: 15_000, outboundTransport: 'resend' });
    expect(await getOutgoingMailStatus({ db, liveWithinMs: 15_000 })).toEqual({ liveWorkers: 2, sendingWorkers: 1 });
    // A worker that stopped beating no longer counts, transport or not.
    await db.execute(sql`update workers set heartbeat_at = now() - interval '1 minute' where id = 'resend'`);
    expect(await getOutgoingMailStatus({ db, liveWithinMs: 15_000 })).toEqual({ liveWorkers: 1, sendingWorkers: 0 });
  });

  it('follows a worker restarted with a transport it did not have', async () => {
    const db = testDb.db;
    await heartbeat({ db, workerId: 'w1', ttlMs: 15_000 });
    await heartbeat({ db, workerId: 'w1', ttlMs: 15_000, outboundTransport: 'smtp' });
    expect(await getOutgoingMailStatus({ db, liveWithinMs: 15_000 })).toEqual({ liveWorkers: 1, sendingWorkers: 1 });
  });
});
