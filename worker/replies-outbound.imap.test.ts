// Agent replies with the real worker, a real Dovecot mailbox and a local SMTP server speaking real SMTP
// (STARTTLS, AUTH with the mailbox's own login): sent once as the mailbox with threading headers and a copy
// in the Sent folder; an SMTP server that is down is retried; a 550 fails with the server's words and a retry
// works; a worker killed after the server accepted and before the outbox recorded it does not send twice;
// a DSN for the reply marks it bounced on its case and opens no case.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseMessages, cases, outbox } from '../server/db/schema';
import { normalizeMessageId } from '../server/domain/message-id';
import type { AuditActor } from '../server/services/audit';
import { sendReply, retryOutbound } from '../server/services/case-replies';
import { listCaseThread } from '../server/services/case-thread';
import { updateOutgoingServer } from '../server/services/outgoing-servers';
import { createUser } from '../server/services/users';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { type Mailbox, mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail, uniqueMessageId } from '../test/harness/raw-mail';
import { createSelfSignedCert } from '../test/harness/self-signed-cert';
import { type FakeSmtpServer, type SmtpMail, startSmtpServer } from '../test/harness/smtp-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

let dovecot: DovecotHarness;
let smtp: FakeSmtpServer;
let smtpPort: number;
let smtpTls: { certPem: string; keyPem: string };
let testDb: TestDatabase;
let worker: WorkerProcess;
let admin: AuditActor;
let agentId: string;
let harness: MailboxHarness;
let box: Mailbox;
let account: { user: string; password: string; address: string };
const secretKey = randomBytes(32);

async function startTheWorker() {
  const started = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem });
  await started.ready();
  return started;
}

async function startSmtp(port?: number) {
  return startSmtpServer({ auth: { user: account.user, pass: account.password }, tls: smtpTls, ...(port ? { port } : {}) });
}

beforeAll(async () => {
  [dovecot, testDb] = await Promise.all([startDovecot(), createTestDatabase()]);
  // The same certificate Dovecot presents (CN localhost, SAN 127.0.0.1), which the worker trusts.
  const cert = await createSelfSignedCert(dovecot.dir);
  smtpTls = { certPem: cert.certPem, keyPem: cert.keyPem };
  admin = await seedAdmin(testDb.db);
  agentId = (await createUser({ db: testDb.db, actor: null, input: { email: 'ann@acme.example', name: 'Ann Agent', role: 'agent', password: 'correct-horse-1' } })).id;
  harness = mailboxHarness({ dovecot, db: testDb.db, admin, secretKey });
  account = await dovecot.addUser();
  smtp = await startSmtp();
  smtpPort = smtp.port;
  const sent = await dovecot.connect(account.user);
  await sent.mailboxCreate('Sent');
  await sent.logout();
  worker = await startTheWorker();
  box = await harness.connect({ account, autoReply: true });
  await updateOutgoingServer({
    db: testDb.db,
    actor: admin,
    key: secretKey,
    input: {
      processorId: box.processorId,
      mode: 'smtp',
      smtpHost: '127.0.0.1',
      smtpPort,
      smtpSecurity: 'starttls',
      smtpAllowUntrustedCert: false,
      smtpLogin: '',
      smtpPassword: '',
      useMailboxPassword: true,
      signature: '--\n{agent}, {mailbox}',
      copyToSent: true,
    },
  });
}, 60_000);

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await Promise.all([dovecot?.stop(), smtp?.close()]);
  await testDb?.drop();
});

let customers = 0;

/** A customer mail in the mailbox, turned into a case by the worker. Each from its own sender, so each gets
 * its auto-reply (the per-sender hourly limit would stop the fourth). */
async function customerCase(subject: string) {
  customers += 1;
  const bracketed = uniqueMessageId('customer');
  const messageId = normalizeMessageId(bracketed)!;
  await dovecot.append(
    account.user,
    rawMail({ messageId: bracketed, subject, from: `Jane Doe <jane${customers}@customer.example>`, to: account.address, headers: [['Cc', 'bob@customer.example']] }),
  );
  const row = await eventually(
    `the case for "${subject}"`,
    async () => (await testDb.db.select().from(caseMessages).where(eq(caseMessages.messageId, messageId)))[0],
    (m) => m !== undefined,
  );
  return { caseId: row!.caseId, caseMessageId: row!.id, messageId };
}

function reply(caseId: string, inReplyToMessageId: string, text: string) {
  return sendReply({
    db: testDb.db,
    actorId: agentId,
    caseId,
    inReplyToMessageId,
    to: [{ address: 'jane@customer.example', name: 'Jane Doe' }],
    cc: [{ address: 'bob@customer.example', name: '' }],
    subject: '',
    text,
    uploads: [{ filename: 'steps.txt', contentType: 'text/plain', content: Buffer.from('1. Unplug it.\n') }],
  });
}

const outboxRow = async (id: string) => (await testDb.db.select().from(outbox).where(eq(outbox.id, id)))[0]!;
const received = (messageId: string): SmtpMail[] => smtp.mails.filter((m) => normalizeMessageId(m.parsed.messageId) === messageId);

describe('an agent reply sent as the mailbox', () => {
  it('reaches the SMTP server once, from the processor address with the tag, threading headers, text, HTML and attachment, and is copied to Sent', async () => {
    const asked = await customerCase('Printer on fire');
    const sent = await reply(asked.caseId, asked.caseMessageId, 'We are on it.');
    const row = await eventually('the reply to be sent', () => outboxRow(sent.outboxId), (r) => r.status === 'sent' && r.sentCopyStatus === 'done', 20_000);

    const [mail] = received(sent.messageId);
    expect(received(sent.messageId)).toHaveLength(1);
    expect(mail!.secure).toBe(true);
    expect(mail!.username).toBe(account.user);
    expect(mail!.envelope).toEqual({ from: account.address, to: ['jane@customer.example', 'bob@customer.example'] });
    expect(mail!.parsed.from?.value[0]?.address).toBe(account.address);
    expect(mail!.parsed.subject).toBe(`[${sent.caseNumber}] Re: Printer on fire`);
    expect(mail!.parsed.inReplyTo).toBe(`<${asked.messageId}>`);
    expect([mail!.parsed.references].flat()).toContain(`<${asked.messageId}>`);
    expect(mail!.parsed.text).toContain('We are on it.');
    expect(mail!.parsed.text).toContain('Ann Agent');
    expect(mail!.parsed.html).toContain('We are on it.');
    expect(mail!.parsed.attachments.map((a) => a.filename)).toEqual(['steps.txt']);
    // The state names the server's own queue id.
    expect(row.providerMessageId).toBe(mail!.queueId);
    expect(row.serverResponse).toContain(`queued as ${mail!.queueId}`);
    const thread = await listCaseThread({ db: testDb.db, caseId: asked.caseId });
    expect(thread.find((m) => m.id === sent.caseMessageId)!.delivery).toMatchObject({ state: 'sent', queueId: mail!.queueId });
    // The auto-reply of the new case went out through the same transport.
    expect(smtp.mails.some((m) => m.parsed.headers.get('auto-submitted') === 'auto-replied' && m.username === account.user)).toBe(true);

    // The copy in Dovecot's Sent folder is the message the server received.
    const client = await dovecot.connect(account.user);
    try {
      const lock = await client.getMailboxLock('Sent');
      try {
        const copies = [];
        for await (const m of client.fetch('1:*', { source: true })) copies.push(await simpleParser(m.source!));
        // The auto-reply of the case is sent mail of the mailbox too, and is copied as well.
        const ids = copies.map((c) => normalizeMessageId(c.messageId));
        expect(ids.filter((id) => id === sent.messageId)).toHaveLength(1);
        expect(ids.filter((id) => id?.startsWith('auto-reply.'))).toHaveLength(1);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }

    // A DSN for that reply (no tag in its subject) marks it bounced on the same case and opens no case.
    const casesBefore = (await testDb.db.select({ id: cases.id }).from(cases)).length;
    await dovecot.append(
      account.user,
      [
        'From: MAILER-DAEMON@relay.example',
        `To: ${account.address}`,
        'Subject: Undelivered Mail Returned to Sender',
        `Message-ID: ${uniqueMessageId('dsn')}`,
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r1"',
        '',
        '--r1',
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        '--r1',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; relay.example',
        '',
        'Final-Recipient: rfc822; bob@customer.example',
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 <bob@customer.example>: Recipient address rejected',
        '',
        '--r1',
        'Content-Type: text/rfc822-headers',
        '',
        `From: ${account.address}`,
        `Message-ID: <${sent.messageId}>`,
        'Subject: Re: Printer on fire',
        '',
        '--r1--',
        '',
      ].join('\r\n'),
    );
    const bounced = await eventually('the reply to be marked bounced', () => outboxRow(sent.outboxId), (r) => r.bounce !== null);
    expect(bounced.bounce).toMatchObject({ recipient: 'bob@customer.example', status: '5.1.1', diagnostic: '550 5.1.1 <bob@customer.example>: Recipient address rejected' });
    expect((await testDb.db.select({ id: cases.id }).from(cases)).length).toBe(casesBefore);
    const after = await listCaseThread({ db: testDb.db, caseId: asked.caseId });
    expect(after.at(-1)).toMatchObject({ direction: 'inbound', bounceOfId: sent.caseMessageId });
    expect(after.find((m) => m.id === sent.caseMessageId)!.delivery).toMatchObject({ state: 'bounced', recipient: 'bob@customer.example' });
  });

  it('is retrying while the SMTP server is down, and sent once when it is back', async () => {
    const asked = await customerCase('Server down');
    await smtp.close();
    const sent = await reply(asked.caseId, asked.caseMessageId, 'Trying while down.');
    const waiting = await eventually('a failed attempt', () => outboxRow(sent.outboxId), (r) => r.status === 'pending' && r.lastError !== null);
    expect(waiting.lastError).toContain('ECONNREFUSED');
    const thread = await listCaseThread({ db: testDb.db, caseId: asked.caseId });
    expect(thread.find((m) => m.id === sent.caseMessageId)!.delivery).toMatchObject({ state: 'retrying', attempts: 1 });

    smtp = await startSmtp(smtpPort);
    await eventually('the reply to be sent after the server came back', () => outboxRow(sent.outboxId), (r) => r.status === 'sent', 45_000);
    expect(received(sent.messageId)).toHaveLength(1);
  }, 60_000);

  it('fails on a 550 with the server words, and a retry by the agent sends it', async () => {
    const asked = await customerCase('Refused');
    // The auto-reply of the new case has gone out already; the next message is the reply.
    await eventually('the auto-reply', async () => smtp.mails.filter((m) => m.parsed.inReplyTo === `<${asked.messageId}>`), (m) => m.length === 1);
    smtp.failNextMessages(1, { code: 550, message: '5.7.1 Message refused by the test policy' });
    const sent = await reply(asked.caseId, asked.caseMessageId, 'This one is refused first.');
    const failed = await eventually('the reply to fail', () => outboxRow(sent.outboxId), (r) => r.status === 'failed');
    expect(failed.lastError).toContain('550 5.7.1 Message refused by the test policy');
    const thread = await listCaseThread({ db: testDb.db, caseId: asked.caseId });
    expect(thread.find((m) => m.id === sent.caseMessageId)!.delivery).toMatchObject({ state: 'failed', error: expect.stringContaining('550 5.7.1') });

    await retryOutbound({ db: testDb.db, actorId: agentId, outboundId: sent.outboxId });
    await eventually('the retried reply to be sent', () => outboxRow(sent.outboxId), (r) => r.status === 'sent');
    expect(received(sent.messageId)).toHaveLength(1);
  });

  it('is not delivered twice when the worker is SIGKILLed after the server accepted it and before the outbox recorded that', async () => {
    const asked = await customerCase('Killed mid-send');
    await eventually('the auto-reply', async () => smtp.mails.filter((m) => m.parsed.inReplyTo === `<${asked.messageId}>`), (m) => m.length === 1);
    const held = smtp.holdNextAcceptance();
    const sent = await reply(asked.caseId, asked.caseMessageId, 'Sent while the worker dies.');
    await held.received;
    expect((await outboxRow(sent.outboxId)).status).toBe('sending');
    await worker.kill('SIGKILL');
    held.release();

    worker = await startTheWorker();
    const unknown = await eventually('the reply to be marked unknown', () => outboxRow(sent.outboxId), (r) => r.status === 'unknown', 20_000);
    expect(unknown.lastError).toContain('may have been delivered');
    // The new worker is sending: a later reply goes out, the one in doubt is not sent again.
    const later = await reply(asked.caseId, asked.caseMessageId, 'A later reply.');
    await eventually('the later reply', () => outboxRow(later.outboxId), (r) => r.status === 'sent');
    expect(received(sent.messageId)).toHaveLength(1);
    const thread = await listCaseThread({ db: testDb.db, caseId: asked.caseId });
    expect(thread.find((m) => m.id === sent.caseMessageId)!.delivery).toMatchObject({ state: 'unknown' });

    // Sending it again is the agent's decision, and then it is delivered a second time, as README says.
    await retryOutbound({ db: testDb.db, actorId: agentId, outboundId: sent.outboxId });
    await eventually('the resent reply', () => outboxRow(sent.outboxId), (r) => r.status === 'sent');
    expect(received(sent.messageId)).toHaveLength(2);
  }, 60_000);
});
