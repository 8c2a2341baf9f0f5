// A mail that reaches the mailbox while the worker is away and the mailbox gets a new UIDVALIDITY (a server
// migration) arrives long after the processor's first import: it is live mail, and gets its auto-reply,
// while the mail already stored before the move is recognised and neither stored nor answered again.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../server/db/schema';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail } from '../test/harness/raw-mail';
import { type FakeResendServer, startResendServer } from '../test/harness/resend-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

const secretKey = randomBytes(32);
let dovecot: DovecotHarness;
let resend: FakeResendServer;
let testDb: TestDatabase;
let mailboxes: MailboxHarness;

const start = () =>
  startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem, resend }).then(async (w) => {
    await w.ready();
    return w;
  });

beforeAll(async () => {
  [dovecot, resend, testDb] = await Promise.all([startDovecot(), startResendServer(), createTestDatabase()]);
  mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin: await seedAdmin(testDb.db), secretKey });
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), resend?.close()]);
  await testDb?.drop();
});

describe('a UIDVALIDITY resync after the first import', () => {
  it('treats mail that arrived during the resync as live: it gets an auto-reply, the mail stored before does not', async () => {
    let worker: WorkerProcess | undefined = await start();
    try {
      const account = await dovecot.addUser();
      await dovecot.append(account.user, rawMail({ subject: 'Imported', from: 'Old Olga <olga@customer.example>' }));
      const box = await mailboxes.connect({ account, autoReply: true });
      await dovecot.append(account.user, rawMail({ subject: 'Live before the move', from: 'Live Lars <lars@customer.example>' }));
      await mailboxes.waitForInbound(box.processorId, 2);
      const replies = () => testDb.db.select().from(outbox).where(eq(outbox.processorId, box.processorId));
      await eventually('the first auto-reply', replies, (rows) => rows.length === 1);

      await worker.kill();
      worker = undefined;
      const uidValidity = Number(await dovecot.bumpUidValidity(account.user));
      await dovecot.append(account.user, rawMail({ subject: 'Sent during the move', from: 'Mid Mia <mia@customer.example>' }));

      worker = await start();
      await eventually('the resync', () => mailboxes.processorRow(box.processorId), (p) => p.uidValidity === uidValidity && p.syncStatus === 'idle' && p.lastUid >= 3);
      expect(await mailboxes.processorRow(box.processorId)).toMatchObject({ importIsResync: true, importUntilUid: 3 });
      const rows = await mailboxes.waitForInbound(box.processorId, 3);
      expect(rows.map((r) => r.subject).sort()).toEqual(['Imported', 'Live before the move', 'Sent during the move']);
      const sent = await eventually('the auto-reply to the mail sent during the move', replies, (r) => r.length === 2);
      expect(sent.map((r) => r.toAddress).sort()).toEqual(['lars@customer.example', 'mia@customer.example']);
    } finally {
      await worker?.kill();
    }
  });
});
