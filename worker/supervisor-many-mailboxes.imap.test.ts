// A worker that takes on many mailboxes at once must keep renewing its leases while their sessions start.
// It used to await one database query per new session, queued behind the sessions already started: the
// first tick of a worker with 1,000 mailboxes outlasted LEASE_TTL_MS, every lease lapsed, and the worker
// stopped and restarted every session (found by bench/scenarios/many-mailboxes.ts).
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

const MAILBOXES = 200;
/** Short, so that a tick slowed by one query per session outlasts it (that took ~6 s for 200 sessions). */
const LEASE_TTL_MS = 2_000;
const secretKey = randomBytes(32);

let dovecot: DovecotHarness;
let testDb: TestDatabase;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  [dovecot, testDb] = await Promise.all([startDovecot(), createTestDatabase()]);
});

afterAll(async () => {
  await worker?.kill();
  await dovecot?.stop();
  await testDb?.drop();
});

describe('a worker starting many mailboxes at once', () => {
  it('keeps every lease while the sessions start, so no session is stopped and started again', { timeout: 120_000 }, async () => {
    const admin = await seedAdmin(testDb.db);
    const mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin, secretKey });
    for (let i = 0; i < MAILBOXES; i++) await mailboxes.connect({ waitForFirstSync: false, autoReply: false });

    worker = await startWorker({
      databaseUrl: testDb.url,
      secretKey: secretKey.toString('base64'),
      trustedCertPem: dovecot.certPem,
      env: { LEASE_TTL_MS: String(LEASE_TTL_MS) },
    });
    await worker.ready();
    await eventually(
      `all ${MAILBOXES} mailboxes idle`,
      async () => (await testDb.db.execute<{ n: number }>(sql`select count(*)::int as n from email_processors where sync_status = 'idle'`))[0]!.n,
      (n) => n === MAILBOXES,
      90_000,
    );
    expect(worker.output()).not.toContain('lease lost');
    expect((await worker.health()).processors).toBe(MAILBOXES);
  });
});
