// A message announced at RANGED_FETCH_BYTES or more is fetched in ranges (BODY.PEEK[]<start.length>) into one
// buffer of its size, not whole (worker/fetch-ranges.ts): the ranged fetch must give Dovecot's bytes exactly,
// whatever the announced size says, and the worker must store the message byte-identical, exactly once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigRawMail, expectRangedFetchesAgree, sha256Hex, storedRawSha256 } from '../test/harness/big-mail';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail } from '../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { startWorker, type WorkerProcess } from '../test/harness/worker-process';
import { RANGED_FETCH_BYTES } from './fetch-ranges';

const secretKey = randomBytes(32);

let dovecot: DovecotHarness;
let testDb: TestDatabase;
let mailboxes: MailboxHarness;
let worker: WorkerProcess;

beforeAll(async () => {
  [dovecot, testDb] = await Promise.all([startDovecot(), createTestDatabase()]);
  mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin: await seedAdmin(testDb.db), secretKey });
  worker = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem });
  await worker.ready();
});

afterAll(async () => {
  await worker?.kill();
  await dovecot?.stop();
  await testDb?.drop();
});

describe('a message fetched in ranges', () => {
  it('gives the server’s bytes exactly, with the announced size right, too small or too large', async () => {
    const account = await dovecot.addUser();
    const uid = await dovecot.append(account.user, bigRawMail({ subject: 'Ranged', attachmentBytes: 3 * 1024 * 1024 + 12_345 }));
    const client = await dovecot.connect(account.user);
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      const bytes = await expectRangedFetchesAgree(client, uid);
      expect(bytes.length).toBeGreaterThan(RANGED_FETCH_BYTES);
    } finally {
      await client.logout();
    }
  }, 60_000);

  it('is stored byte-identical and once, beside small mail fetched whole in the same listing', async () => {
    const account = await dovecot.addUser();
    const big = bigRawMail({ subject: 'Big scan', attachmentBytes: 4 * 1024 * 1024 });
    expect(big.length).toBeGreaterThan(RANGED_FETCH_BYTES);
    const small = rawMail({ subject: 'Small note' });
    await dovecot.append(account.user, small);
    await dovecot.append(account.user, big);
    await dovecot.append(account.user, rawMail({ subject: 'Another note' }));
    const box = await mailboxes.connect({ account, autoReply: false, waitForFirstSync: false });
    await mailboxes.waitForInbound(box.processorId, 3, 60_000);
    await mailboxes.waitForIdle(box.processorId);
    const stored = await storedRawSha256(testDb.db, box.processorId);
    expect(stored).toHaveLength(3);
    expect(stored).toContain(sha256Hex(big));
    expect((await mailboxes.messagesIn(box.processorId)).map((m) => m.subject).sort()).toEqual(['Another note', 'Big scan', 'Small note']);
  }, 120_000);
});
