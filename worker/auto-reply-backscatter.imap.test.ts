// Auto-replies cannot be aimed at strangers (backscatter): with the real worker, a real Dovecot and a local
// Resend, plus-addresses of one mailbox share its per-sender limit, and forged senders run into the
// per-processor limit; a forged 5,160-character name is not echoed.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox } from '../server/db/schema';
import { MAX_DISPLAY_NAME_CHARS } from '../server/domain/auto-reply-message';
import type { AuditActor } from '../server/services/audit';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail } from '../test/harness/raw-mail';
import { type FakeResendServer, startResendServer } from '../test/harness/resend-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

/** The product default per sender (server/env.ts); the per-processor limit is set low for the test. */
const MAX_PER_SENDER = 3;
const MAX_PER_PROCESSOR = 8;

let dovecot: DovecotHarness;
let resend: FakeResendServer;
let testDb: TestDatabase;
let worker: WorkerProcess;
let admin: AuditActor;
let harness: MailboxHarness;
const secretKey = randomBytes(32);

beforeAll(async () => {
  [dovecot, resend, testDb] = await Promise.all([startDovecot(), startResendServer(), createTestDatabase()]);
  admin = await seedAdmin(testDb.db);
  harness = mailboxHarness({ dovecot, db: testDb.db, admin, secretKey });
  worker = await startWorker({
    databaseUrl: testDb.url,
    secretKey: secretKey.toString('base64'),
    trustedCertPem: dovecot.certPem,
    resend,
    env: { AUTO_REPLY_MAX_PER_SENDER_PER_HOUR: String(MAX_PER_SENDER), AUTO_REPLY_MAX_PER_PROCESSOR_PER_HOUR: String(MAX_PER_PROCESSOR) },
  });
  await worker.ready();
});

afterAll(async () => {
  await worker?.kill();
  await Promise.all([dovecot?.stop(), resend?.close()]);
  await testDb?.drop();
});

const queuedFor = (processorId: string) => testDb.db.select().from(outbox).where(eq(outbox.processorId, processorId));

describe('auto-replies and forged senders', () => {
  it('counts ten plus-addresses of one mailbox, in any letter case, as one sender for the hourly limit', async () => {
    const box = await harness.connect({ autoReply: true });
    for (let i = 1; i <= 10; i++) {
      const address = i % 2 === 0 ? `Jane+${i}@Customer.Example` : `jane+${i}@customer.example`;
      await dovecot.append(box.user, rawMail({ subject: `Plus address ${i}`, from: `Jane <${address}>` }));
    }
    await harness.waitForInbound(box.processorId, 10, 30_000);
    const queued = await queuedFor(box.processorId);
    expect(queued).toHaveLength(MAX_PER_SENDER);
  });

  it('stops at the per-processor limit when twenty forged senders write, and echoes no long forged name', async () => {
    const box = await harness.connect({ autoReply: true });
    const forgedName = 'Claim your prize now '.repeat(246).slice(0, 5160);
    for (let i = 1; i <= 20; i++) {
      await dovecot.append(box.user, rawMail({ subject: `Buy cheap watches ${i}`, from: `"${forgedName}" <victim${i}@elsewhere.example>` }));
    }
    await harness.waitForInbound(box.processorId, 20, 30_000);
    const queued = await queuedFor(box.processorId);
    expect(queued).toHaveLength(MAX_PER_PROCESSOR);
    for (const row of queued) {
      expect(Array.from(row.toName).length).toBeLessThanOrEqual(MAX_DISPLAY_NAME_CHARS);
      expect(row.textBody.split('\n')[0].length).toBeLessThanOrEqual(MAX_DISPLAY_NAME_CHARS + 'Hello ,'.length);
    }
    // What reaches the mail provider is the same: no more, and no long name in To.
    const sent = await eventually(
      'the queued auto-replies to be sent',
      async () => resend.mails.filter((m) => m.to.some((t) => t.includes('@elsewhere.example'))),
      (mails) => mails.length >= MAX_PER_PROCESSOR,
    );
    expect(sent).toHaveLength(MAX_PER_PROCESSOR);
    for (const mail of sent) for (const to of mail.to) expect(to.length).toBeLessThan(MAX_DISPLAY_NAME_CHARS + 60);
  });
});
