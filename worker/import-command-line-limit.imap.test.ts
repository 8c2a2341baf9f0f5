// Regression: the mailbox session asked for the sizes of every new message with one UID FETCH naming each
// UID ("1,2,3,…,N"), so a large enough import made a command line longer than the server accepts; the
// server refused it, the session failed, reconnected, and sent the same line again: the import never began.
// Dovecot's limit (imap_max_line_length) is 64 KB by default, reached at about 12,800 messages; RFC 7162
// section 4 asks clients to stay near 8,192 octets, which servers may enforce. This test sets the server's
// limit to 8 KB, so 2,000 messages (a 8.9 KB UID list) show it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail } from '../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

const MESSAGES = 2_000;
const secretKey = randomBytes(32);

let dovecot: DovecotHarness;
let testDb: TestDatabase;
let mailboxes: MailboxHarness;
let worker: WorkerProcess;

beforeAll(async () => {
  [dovecot, testDb] = await Promise.all([startDovecot({ extraConfig: 'imap_max_line_length = 8k' }), createTestDatabase()]);
  mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin: await seedAdmin(testDb.db), secretKey });
  worker = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem });
  await worker.ready();
});

afterAll(async () => {
  await worker?.kill();
  await dovecot?.stop();
  await testDb?.drop();
});

describe('an import larger than one command line can name', () => {
  it('imports a mailbox whose list of UIDs is longer than the server accepts on one command line', async () => {
    const account = await dovecot.addUser();
    let lastUid = 0;
    for (let i = 0; i < MESSAGES; i++) lastUid = await dovecot.append(account.user, rawMail({ subject: `Archived ${i}` }));
    expect(Array.from({ length: lastUid }, (_, i) => i + 1).join(',').length).toBeGreaterThan(8 * 1024);

    const box = await mailboxes.connect({ account, autoReply: false, waitForFirstSync: false });
    const done = await eventually(
      'the import to finish',
      () => mailboxes.processorRow(box.processorId),
      // An error is final here: the session would only send the same command again.
      (p) => (p.syncStatus === 'idle' && p.lastUid >= lastUid) || p.syncStatus === 'error',
      120_000,
    );
    expect(done).toMatchObject({ syncStatus: 'idle', lastError: null, importDone: MESSAGES, importTotal: MESSAGES });
    expect(await mailboxes.messagesIn(box.processorId)).toHaveLength(MESSAGES);
  }, 180_000);
});
