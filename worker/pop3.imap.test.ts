// POP3 mailboxes end to end: Dovecot's own POP3 service (dovecot-pop3d) in the same private Dovecot as the
// IMAP tests, the real worker process, a real database, a local Resend. Mail is delivered with IMAP APPEND,
// which is what a POP3 client then sees in the maildrop.
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseMessages, cases, outbox, pop3Taken, rawMessages } from '../server/db/schema';
import { formatCaseNumber } from '../server/domain/case-number';
import { Pop3Client } from '../server/mail/pop3-client';
import { createFilter } from '../server/services/filters';
import { createProcessor } from '../server/services/processors';
import type { AuditActor } from '../server/services/audit';
import { type DovecotHarness, type DovecotUser, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail, uniqueMessageId } from '../test/harness/raw-mail';
import { startPop3CapabilityProxy } from '../test/harness/pop3-capability-proxy';
import { type FakeResendServer, startResendServer } from '../test/harness/resend-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

let dovecot: DovecotHarness;
let resend: FakeResendServer;
let testDb: TestDatabase;
let worker: WorkerProcess | undefined;
let admin: AuditActor;
let mailboxes: MailboxHarness;
const secretKey = randomBytes(32);

beforeAll(async () => {
  [dovecot, resend, testDb] = await Promise.all([startDovecot(), startResendServer(), createTestDatabase()]);
  admin = await seedAdmin(testDb.db);
  mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin, secretKey });
  worker = await startTheWorker();
});

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await Promise.all([dovecot?.stop(), resend?.close()]);
  await testDb?.drop();
});

async function startTheWorker(): Promise<WorkerProcess> {
  const started = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem, resend });
  await started.ready();
  return started;
}

type Pop3BoxOptions = { account?: DovecotUser; password?: string; autoReply?: boolean; pop3DeleteAfterDays?: number | null; useSsl?: boolean; port?: number; allowCleartextLogin?: boolean };

/** A POP3 processor (STLS on the plain port, polled every second) with a default filter. */
async function pop3Processor(options: Pop3BoxOptions = {}) {
  const account = options.account ?? (await dovecot.addUser());
  const processor = await createProcessor({
    db: testDb.db,
    actor: admin,
    key: secretKey,
    input: {
      emailAddress: account.address,
      name: `POP3 ${account.user}`,
      active: true,
      host: '127.0.0.1',
      type: 'pop3',
      port: options.port ?? (options.useSsl ? dovecot.pop3sPort : dovecot.pop3Port),
      useSsl: options.useSsl ?? false,
      login: account.user,
      password: options.password ?? account.password,
      autoReply: options.autoReply ?? true,
      allowUntrustedCert: false,
      allowCleartextLogin: options.allowCleartextLogin,
      pollIntervalSeconds: 1,
      pop3DeleteAfterDays: options.pop3DeleteAfterDays ?? null,
    },
  });
  await createFilter({
    db: testDb.db,
    actor: admin,
    input: { processorId: processor.id, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
  });
  return { processorId: processor.id, account };
}

/** What the server still holds, by Message-ID, read over POP3 itself. */
async function onServer(account: DovecotUser): Promise<string[]> {
  const client = new Pop3Client({ host: '127.0.0.1', port: dovecot.pop3sPort, useSsl: true, login: account.user, password: account.password, allowUntrustedCert: true });
  await client.connect();
  const ids: string[] = [];
  for (const m of await client.list()) ids.push(/^Message-ID: (.*)$/im.exec((await client.retrieve(m.number)).toString())![1]!.trim());
  await client.quit();
  return ids.sort();
}

const inboundCount = async (processorId: string) =>
  (await testDb.db.select({ n: sql<number>`count(*)::int` }).from(caseMessages).where(and(eq(caseMessages.processorId, processorId), eq(caseMessages.direction, 'inbound'))))[0]!.n;

describe('a POP3 mailbox', () => {
  it('imports mail already there without auto-replies, then answers new mail with the case number', async () => {
    const account = await dovecot.addUser();
    for (let i = 0; i < 3; i++) await dovecot.append(account.user, rawMail({ subject: `Old POP3 message ${i}`, from: `Old ${i} <old${i}@customer.example>` }));
    const box = await pop3Processor({ account });
    await mailboxes.waitForInbound(box.processorId, 3);
    const imported = await mailboxes.waitForIdle(box.processorId);
    expect(imported).toMatchObject({ importTotal: 3, importDone: 3, lastError: null });
    expect(await testDb.db.select().from(outbox).where(eq(outbox.processorId, box.processorId))).toHaveLength(0);

    const messageId = uniqueMessageId('pop3-live');
    await dovecot.append(account.user, rawMail({ subject: 'POP3 new problem', from: 'Live Person <pop3-live@customer.example>', messageId }));
    await mailboxes.waitForInbound(box.processorId, 4);
    const [mail] = (await resend.waitForMails(1, 15_000)).filter((m) => m.to.some((t) => t.includes('pop3-live@customer.example')));
    const [created] = await testDb.db.select().from(cases).where(eq(cases.subject, 'POP3 new problem'));
    expect(mail!.subject).toContain(`[${formatCaseNumber(created!.number)}]`);
    expect(mail!.headers['In-Reply-To']).toBe(messageId);
    // Kept on the server by default; each UIDL recorded once.
    expect(await onServer(account)).toHaveLength(4);
    expect(await testDb.db.select().from(pop3Taken).where(eq(pop3Taken.processorId, box.processorId))).toHaveLength(4);
    expect(await inboundCount(box.processorId)).toBe(4);
  });

  it('threads a reply by its tag and a reply by its References into the case', async () => {
    const box = await pop3Processor({ autoReply: false });
    await mailboxes.waitForIdle(box.processorId);
    const original = uniqueMessageId('pop3-orig');
    await dovecot.append(box.account.user, rawMail({ subject: 'POP3 broken invoice', messageId: original }));
    const [first] = await mailboxes.waitForInbound(box.processorId, 1);
    const [theCase] = await testDb.db.select().from(cases).where(eq(cases.id, first!.caseId));
    await dovecot.append(box.account.user, rawMail({ subject: `Re: [${formatCaseNumber(theCase!.number)}] POP3 broken invoice` }));
    await dovecot.append(box.account.user, rawMail({ subject: 'more about it', references: original }));
    const rows = await mailboxes.waitForInbound(box.processorId, 3);
    expect(rows.every((r) => r.caseId === theCase!.id)).toBe(true);
    expect(rows.map((r) => r.threadReason).sort()).toEqual(['new', 'reference', 'tag']);
  });

  it('deletes from the server only mail stored the given number of days ago', async () => {
    const account = await dovecot.addUser();
    const old = [uniqueMessageId('keep-days-a'), uniqueMessageId('keep-days-b'), uniqueMessageId('keep-days-c')];
    for (const messageId of old) await dovecot.append(account.user, rawMail({ messageId }));
    const box = await pop3Processor({ account, pop3DeleteAfterDays: 2, autoReply: false });
    await mailboxes.waitForInbound(box.processorId, 3);
    await mailboxes.waitForIdle(box.processorId);
    expect(await onServer(account)).toHaveLength(3);
    // Two of them were stored three days ago; the third one day ago (not due yet).
    const taken = await testDb.db.select().from(pop3Taken).where(eq(pop3Taken.processorId, box.processorId)).orderBy(pop3Taken.uid);
    const day = 24 * 60 * 60 * 1000;
    for (const [i, row] of taken.entries()) {
      await testDb.db
        .update(pop3Taken)
        .set({ storedAt: new Date(Date.now() - (i < 2 ? 3 : 1) * day) })
        .where(and(eq(pop3Taken.processorId, box.processorId), eq(pop3Taken.uidl, row.uidl)));
    }
    const fresh = uniqueMessageId('keep-days-new');
    await dovecot.append(account.user, rawMail({ messageId: fresh }));
    await mailboxes.waitForInbound(box.processorId, 4);
    const left = await eventually('the due messages to be deleted', () => onServer(account), (ids) => ids.length === 2);
    expect(left).toEqual([old[2]!, fresh].sort());
    const marked = await testDb.db.select().from(pop3Taken).where(eq(pop3Taken.processorId, box.processorId)).orderBy(pop3Taken.uid);
    expect(marked.map((r) => r.deletedAt !== null)).toEqual([true, true, false, false]);
    expect(await inboundCount(box.processorId)).toBe(4);
  });

  it('shows a wrong password on its processor while another POP3 processor keeps ingesting', async () => {
    const wrong = await pop3Processor({ password: 'not-the-password' });
    const good = await pop3Processor({ useSsl: true, autoReply: false });
    const failed = await eventually('the wrong password to be shown', () => mailboxes.processorRow(wrong.processorId), (p) => p.syncStatus === 'error');
    expect(failed.lastErrorCode).toBe('IMAP_AUTH_FAILED');
    expect(failed.lastError).toMatch(/rejected the login name or password/);
    await dovecot.append(good.account.user, rawMail({ subject: 'Still arriving' }));
    await mailboxes.waitForInbound(good.processorId, 1);
    expect((await mailboxes.processorRow(good.processorId)).lastError).toBeNull();
  });

  it('takes no message twice when the server gives every message a new UIDL, and stores the bytes as sent', async () => {
    const account = await dovecot.addUser();
    // A line starting with a dot is sent dot-stuffed by the server and must be stored as it was delivered.
    const dotted = rawMail({ subject: 'Dotted', body: 'first line\n.hidden dot line\n..two dots\nlast' });
    await dovecot.append(account.user, dotted);
    await dovecot.append(account.user, rawMail({ subject: 'Second' }));
    const box = await pop3Processor({ account });
    await mailboxes.waitForInbound(box.processorId, 2);
    await mailboxes.waitForIdle(box.processorId);
    const before = await testDb.db.select().from(pop3Taken).where(eq(pop3Taken.processorId, box.processorId));
    const [stored] = await testDb.db.select({ content: rawMessages.content }).from(rawMessages).where(and(eq(rawMessages.processorId, box.processorId), eq(rawMessages.uid, 1)));
    expect(stored!.content.equals(dotted)).toBe(true);

    // Dovecot's UIDLs hold the UIDVALIDITY: a new one changes every UIDL, as a server migration would.
    await dovecot.bumpUidValidity(account.user);
    await dovecot.append(account.user, rawMail({ subject: 'After the new UIDLs', from: 'After <after@customer.example>' }));
    await mailboxes.waitForInbound(box.processorId, 3);
    await eventually('the old mail taken again under its new UIDLs', () => testDb.db.select().from(pop3Taken).where(eq(pop3Taken.processorId, box.processorId)), (rows) => rows.length === 5);
    await mailboxes.waitForIdle(box.processorId);
    const rows = await testDb.db.select().from(pop3Taken).where(eq(pop3Taken.processorId, box.processorId));
    expect(rows.filter((r) => before.some((b) => b.uidl === r.uidl))).toHaveLength(2);
    expect(await inboundCount(box.processorId)).toBe(3);
    // The same mail again sent no auto-reply: only the two first ones' cases (import: none) and the new one's.
    const replies = await testDb.db.select().from(outbox).where(eq(outbox.processorId, box.processorId));
    expect(replies).toHaveLength(1);
  });

  it('refuses a server without UIDL with a clear error on the processor', async () => {
    const proxy = await startPop3CapabilityProxy({ host: dovecot.host, port: dovecot.pop3Port }, { uidl: true, stls: true });
    try {
      const box = await pop3Processor({ port: proxy.port, allowCleartextLogin: true });
      const failed = await eventually('the missing UIDL to be shown', () => mailboxes.processorRow(box.processorId), (p) => p.syncStatus === 'error');
      expect(failed.lastErrorCode).toBe('IMAP_NO_UIDL');
      expect(failed.lastError).toMatch(/does not support UIDL, so Leopard cannot tell which messages it already took/);
    } finally {
      await proxy.close();
    }
  });

  it('ends, after SIGKILLs during an import and restarts, with every message stored once', async () => {
    const account = await dovecot.addUser();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const messageId = uniqueMessageId('pop3-kill');
      await dovecot.append(account.user, rawMail({ messageId, subject: `Killed import ${i}` }));
      ids.push(messageId);
    }
    await worker!.kill('SIGKILL');
    const box = await pop3Processor({ account, autoReply: true });
    for (let round = 0; round < 3; round++) {
      worker = await startTheWorker();
      const before = await inboundCount(box.processorId);
      await eventually(`more stored before kill ${round + 1}`, () => inboundCount(box.processorId), (n) => n > before + 10 || n === ids.length, 60_000);
      await worker.kill('SIGKILL');
    }
    worker = await startTheWorker();
    await eventually('every message stored', () => inboundCount(box.processorId), (n) => n >= ids.length, 60_000);
    const settled = await mailboxes.waitForIdle(box.processorId);
    expect(settled).toMatchObject({ importTotal: 200, importDone: 200, lastError: null });
    const stored = await mailboxes.messagesIn(box.processorId);
    expect(stored.map((m) => `<${m.messageId}>`).sort()).toEqual([...ids].sort());
    expect(await testDb.db.select().from(pop3Taken).where(eq(pop3Taken.processorId, box.processorId))).toHaveLength(200);
    // An import: no auto-replies.
    expect(await testDb.db.select().from(outbox).where(eq(outbox.processorId, box.processorId))).toHaveLength(0);
  }, 240_000);
});
