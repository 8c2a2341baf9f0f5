// The worker end to end: a real Dovecot, the real worker process, a real database, a local Resend.
// Mail is delivered with IMAP APPEND, as a mail server would, and the outcome read from Postgres.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail, uniqueMessageId } from '../test/harness/raw-mail';
import { type FakeResendServer, startResendServer } from '../test/harness/resend-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';
import { cases, contacts, outbox, processorLeases } from '../server/db/schema';
import { formatCaseNumber } from '../server/domain/case-number';
import { createFilter } from '../server/services/filters';
import { createProcessor, setProcessorActive, updateProcessor } from '../server/services/processors';
import type { AuditActor } from '../server/services/audit';

let dovecot: DovecotHarness;
let resend: FakeResendServer;
let testDb: TestDatabase;
let worker: WorkerProcess;
let admin: AuditActor;
const secretKey = randomBytes(32);

let connectMailbox: MailboxHarness['connect'];
let processorRow: MailboxHarness['processorRow'];
let messagesIn: MailboxHarness['messagesIn'];
let waitForInbound: MailboxHarness['waitForInbound'];
let waitForIdle: MailboxHarness['waitForIdle'];

beforeAll(async () => {
  [dovecot, resend, testDb] = await Promise.all([startDovecot(), startResendServer(), createTestDatabase()]);
  admin = await seedAdmin(testDb.db);
  ({ connect: connectMailbox, processorRow, messagesIn, waitForInbound, waitForIdle } = mailboxHarness({ dovecot, db: testDb.db, admin, secretKey }));
  worker = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem, resend });
  await worker.ready();
});

afterAll(async () => {
  await worker?.kill();
  await Promise.all([dovecot?.stop(), resend?.close()]);
  await testDb?.drop();
});

describe('the worker taking mail from a mailbox', () => {
  it('imports mail already in the mailbox without auto-replies, then replies to new mail with the case number', async () => {
    const account = await dovecot.addUser();
    for (let i = 0; i < 3; i++) await dovecot.append(account.user, rawMail({ subject: `Old message ${i}`, from: `Old Sender ${i} <old${i}@customer.example>` }));
    const processor = await createProcessor({
      db: testDb.db,
      actor: admin,
      key: secretKey,
      input: {
        emailAddress: account.address,
        name: 'Import',
        active: true,
        host: '127.0.0.1',
        type: 'imap',
        port: dovecot.imapPort,
        useSsl: false,
        login: account.user,
        password: account.password,
        autoReply: true,
        allowUntrustedCert: false,
      },
    });
    // Not running until it has a filter, as the seed says.
    expect((await processorRow(processor.id)).syncStatus).toBeNull();
    await createFilter({
      db: testDb.db,
      actor: admin,
      input: { processorId: processor.id, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
    });
    await waitForInbound(processor.id, 3);
    await waitForIdle(processor.id);
    const imported = await processorRow(processor.id);
    expect(imported).toMatchObject({ importTotal: 3, importDone: 3 });
    expect(await testDb.db.select().from(outbox).where(eq(outbox.processorId, processor.id))).toHaveLength(0);

    const messageId = uniqueMessageId('live');
    await dovecot.append(account.user, rawMail({ subject: 'New problem', from: 'Live Person <live@customer.example>', messageId }));
    await waitForInbound(processor.id, 4);
    const [mail] = (await resend.waitForMails(1, 15_000)).filter((m) => m.to.some((t) => t.includes('live@customer.example')));
    const [created] = await testDb.db.select().from(cases).where(eq(cases.subject, 'New problem'));
    const tag = `[${formatCaseNumber(created.number)}]`;
    expect(mail.subject).toContain(tag);
    expect(mail.from).toContain(account.address);
    expect(mail.headers['Auto-Submitted']).toBe('auto-replied');
    expect(mail.headers['In-Reply-To']).toBe(messageId);
  });

  it('appends a reply carrying the tag to its case and makes the case New again, closed or not', async () => {
    const box = await connectMailbox({ autoReply: false });
    await dovecot.append(box.user, rawMail({ subject: 'Broken invoice' }));
    const [first] = await waitForInbound(box.processorId, 1);
    const [theCase] = await testDb.db.select().from(cases).where(eq(cases.id, first.caseId));
    await testDb.db.update(cases).set({ status: 'closed' }).where(eq(cases.id, theCase.id));

    await dovecot.append(box.user, rawMail({ subject: `Re: [${formatCaseNumber(theCase.number)}] Broken invoice` }));
    const rows = await waitForInbound(box.processorId, 2);
    expect(rows.every((r) => r.caseId === theCase.id)).toBe(true);
    expect(rows.map((r) => r.threadReason).sort()).toEqual(['new', 'tag']);
    const [after] = await testDb.db.select().from(cases).where(eq(cases.id, theCase.id));
    expect(after.status).toBe('new');
  });

  it('joins a reply that only names the first message in In-Reply-To, and a reply to the auto-reply', async () => {
    const box = await connectMailbox({ autoReply: true });
    const original = uniqueMessageId('orig');
    await dovecot.append(box.user, rawMail({ subject: 'Where is my order', messageId: original, from: 'Ann Smith <ann@customer.example>' }));
    const [first] = await waitForInbound(box.processorId, 1);
    const autoReply = await eventually(
      'the auto-reply to be queued',
      () => testDb.db.select().from(outbox).where(eq(outbox.caseId, first.caseId)),
      (rows) => rows.length === 1,
    );

    await dovecot.append(box.user, rawMail({ subject: 'more details', inReplyTo: original, from: 'Ann Smith <ann@customer.example>' }));
    await dovecot.append(box.user, rawMail({ subject: 'thanks', inReplyTo: `<${autoReply[0].messageId}>`, from: 'Ann Smith <ann@customer.example>' }));
    const rows = await waitForInbound(box.processorId, 3);
    expect(new Set(rows.map((r) => r.caseId))).toEqual(new Set([first.caseId]));
    expect(rows.filter((r) => r.threadReason === 'reference')).toHaveLength(2);
  });

  it('matches the sender to an existing contact and creates one for a stranger', async () => {
    const box = await connectMailbox({ autoReply: false });
    const [known] = await testDb.db.insert(contacts).values({ firstName: 'Known', lastName: 'Person', email: 'Known@Customer.example' }).returning();
    await dovecot.append(box.user, rawMail({ from: 'Known Person <known@customer.example>', subject: 'from a known person' }));
    await dovecot.append(box.user, rawMail({ from: '"Doe, John" <john.doe@stranger.example>', subject: 'from a stranger' }));
    await waitForInbound(box.processorId, 2);
    const [knownCase] = await testDb.db.select().from(cases).where(eq(cases.subject, 'from a known person'));
    expect(knownCase.contactId).toBe(known.id);
    const [strangerCase] = await testDb.db.select().from(cases).where(eq(cases.subject, 'from a stranger'));
    const [stranger] = await testDb.db.select().from(contacts).where(eq(contacts.id, strangerCase.contactId!));
    expect(stranger).toMatchObject({ firstName: 'John', lastName: 'Doe', createdByCaseId: strangerCase.id });
  });

  it('never auto-replies to automatic mail', async () => {
    const box = await connectMailbox({ autoReply: true });
    await dovecot.append(box.user, rawMail({ subject: 'Out of office', from: 'Bob <bob@customer.example>', headers: [['Auto-Submitted', 'auto-replied']] }));
    await dovecot.append(box.user, rawMail({ subject: 'Undeliverable', from: 'Mail Delivery System <mailer-daemon@customer.example>' }));
    await waitForInbound(box.processorId, 2);
    await waitForIdle(box.processorId);
    expect(await testDb.db.select().from(outbox).where(eq(outbox.processorId, box.processorId))).toHaveLength(0);
  });

  it('shows a wrong password as an error while another mailbox keeps ingesting, and recovers once fixed', async () => {
    const broken = await connectMailbox({ password: 'not-the-password', waitForFirstSync: false });
    const healthy = await connectMailbox({ autoReply: false });
    const failed = await eventually('the error state', () => processorRow(broken.processorId), (p) => p.syncStatus === 'error');
    expect(failed.lastError).toMatch(/password|login|auth/i);
    // Tried again after 1 s, then 2 s…: a few attempts in three seconds, not one after the other.
    await new Promise((r) => setTimeout(r, 3_000));
    const attempts = worker
      .output()
      .split('\n')
      .filter((line) => line.includes(broken.processorId) && line.includes('mailbox session failed')).length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);

    await dovecot.append(healthy.user, rawMail({ subject: 'still flowing' }));
    await waitForInbound(healthy.processorId, 1);

    const account = await dovecot.addUser();
    await dovecot.append(account.user, rawMail({ subject: 'waiting for the fix' }));
    const current = await processorRow(broken.processorId);
    await updateProcessor({
      db: testDb.db,
      actor: admin,
      key: secretKey,
      input: {
        id: broken.processorId,
        emailAddress: current.emailAddress,
        name: current.name,
        active: true,
        host: '127.0.0.1',
        type: 'imap',
        port: dovecot.imapPort,
        useSsl: false,
        login: account.user,
        password: account.password,
        autoReply: false,
        allowUntrustedCert: false,
      },
    });
    await waitForInbound(broken.processorId, 1);
    expect((await processorRow(broken.processorId)).lastError).toBeNull();
  });

  it('stops taking mail within seconds of deactivation and resumes where it stopped', async () => {
    const box = await connectMailbox({ autoReply: false });
    await dovecot.append(box.user, rawMail({ subject: 'before pause' }));
    await waitForInbound(box.processorId, 1);
    await setProcessorActive({ db: testDb.db, actor: admin, id: box.processorId, active: false });
    await eventually('the lease to be released', () => testDb.db.select().from(processorLeases).where(eq(processorLeases.processorId, box.processorId)), (rows) => rows.length === 0);
    await dovecot.append(box.user, rawMail({ subject: 'during pause' }));
    // The worker is told through NOTIFY; give a running session every chance to take the mail.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await messagesIn(box.processorId)).toHaveLength(1);
    await setProcessorActive({ db: testDb.db, actor: admin, id: box.processorId, active: true });
    const rows = await waitForInbound(box.processorId, 2);
    expect(rows.map((r) => r.subject).sort()).toEqual(['before pause', 'during pause']);
  });

  it('takes no message twice when the mailbox gets a new UIDVALIDITY', async () => {
    const box = await connectMailbox({ autoReply: false });
    for (const subject of ['one', 'two']) await dovecot.append(box.user, rawMail({ subject }));
    await waitForInbound(box.processorId, 2);
    const before = await processorRow(box.processorId);
    const newValidity = await dovecot.bumpUidValidity(box.user);
    await dovecot.append(box.user, rawMail({ subject: 'three' }));
    await waitForInbound(box.processorId, 3);
    await eventually('the new UIDVALIDITY', () => processorRow(box.processorId), (p) => p.uidValidity === Number(newValidity) && p.syncStatus === 'idle');
    expect(before.uidValidity).not.toBe(Number(newValidity));
    const rows = await messagesIn(box.processorId);
    expect(rows.map((r) => r.subject).sort()).toEqual(['one', 'three', 'two']);
  });
});
