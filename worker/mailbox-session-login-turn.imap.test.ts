// A mailbox session reads its processor's settings once it has its turn to log in (worker/connect-gate.ts),
// not before waiting for it. With thousands of sessions starting at once, reads made before the wait queued
// every session's reads ahead of any session's first sync (bench scenario 10, 5,000 mailboxes); read after
// it, the login also uses what the processor says at that moment.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal } from '../server/crypto/secret-box';
import { emailProcessors } from '../server/db/schema';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually } from '../test/harness/worker-process';
import { ConnectGate } from './connect-gate';
import { MailboxSession } from './mailbox-session';
import { createWorkerMetrics } from './metrics';

const secretKey = randomBytes(32);
let dovecot: DovecotHarness;
let testDb: TestDatabase;
let session: MailboxSession | undefined;

beforeAll(async () => {
  [dovecot, testDb] = await Promise.all([startDovecot(), createTestDatabase()]);
});

afterAll(async () => {
  await session?.stop();
  await dovecot?.stop();
  await testDb?.drop();
});

describe('a mailbox session waiting for its turn to log in', () => {
  it('logs in with the settings the processor has when its turn comes', { timeout: 60_000 }, async () => {
    const admin = await seedAdmin(testDb.db);
    const mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin, secretKey });
    const account = await dovecot.addUser();
    // Stored with a wrong password; corrected while the session waits for its turn.
    const box = await mailboxes.connect({ account, password: 'not-the-password', waitForFirstSync: false, autoReply: false });
    // This test runs the session in its own process, without the worker's trust of the harness certificate.
    await testDb.db.update(emailProcessors).set({ allowUntrustedCert: true }).where(eq(emailProcessors.id, box.processorId));

    const gate = new ConnectGate(1, 60_000);
    const releaseHeldTurn = await gate.enter();
    session = new MailboxSession(box.processorId, 0, {
      db: testDb.db,
      secretKey,
      log: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(),
      pollIntervalMs: 60_000,
      onMailQueued: () => {},
      connectGate: gate,
    });
    session.start();
    await eventually('the session to wait for its turn', async () => gate.load.waiting, (waiting) => waiting === 1, 10_000);

    await testDb.db
      .update(emailProcessors)
      .set({ passwordCiphertext: seal(account.password, secretKey) })
      .where(eq(emailProcessors.id, box.processorId));
    releaseHeldTurn();

    const row = await eventually(
      'the processor to be idle or in error',
      () => mailboxes.processorRow(box.processorId),
      (p) => p.syncStatus === 'idle' || p.syncStatus === 'error',
      30_000,
    );
    expect(row.lastError).toBeNull();
    expect(row.syncStatus).toBe('idle');
  });
});
