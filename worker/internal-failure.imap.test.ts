// A failure of Leopard itself while it works a mailbox (here a real database error: the database refuses the
// cursor update) is reported as Leopard's, with an id to find in the worker's log; never as the mail server's
// fault, never with the SQL and its parameters ("Unexpected error while talking to host:port: Failed query:
// update email_processors …" before).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProcessor } from '../server/services/processors';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail } from '../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

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

describe('a failure inside Leopard', () => {
  it('says Leopard failed, with an id that the worker log holds, and shows no SQL', async () => {
    // The database now refuses any import cursor: the worker's first sync fails in Postgres, not in IMAP.
    await testDb.sql.unsafe('alter table email_processors add constraint no_cursor_yet check (import_until_uid is null)');
    const account = await dovecot.addUser();
    await dovecot.append(account.user, rawMail({ subject: 'Waiting' }));
    const box = await mailboxes.connect({ account, waitForFirstSync: false });
    const failed = await eventually('the failure on the processor', () => getProcessor({ db: testDb.db, id: box.processorId }), (p) => p.state.kind === 'error');
    const reason = failed.state.kind === 'error' ? failed.state.reason : '';
    expect(reason).toMatch(/^Leopard failed while working this mailbox \(error id [0-9a-f]{8}\); the mail server is not at fault\./);
    expect(reason).not.toMatch(/Failed query|email_processors|params|127\.0\.0\.1|violates/);
    expect((await mailboxes.processorRow(box.processorId)).lastErrorCode).toBe('INTERNAL');
    const errorId = /error id ([0-9a-f]{8})/.exec(reason)![1]!;
    await eventually('the id in the worker log', async () => worker.output(), (log) => log.includes(`"errorId":"${errorId}"`));
    expect(worker.output()).toContain('no_cursor_yet');

    // Fixed in the database: the worker's retry takes the mail.
    await testDb.sql.unsafe('alter table email_processors drop constraint no_cursor_yet');
    await mailboxes.waitForInbound(box.processorId, 1, 40_000);
  });
});
