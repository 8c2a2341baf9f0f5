// Answering a case in real browsers, end to end: the real web server and worker, a Dovecot mailbox, and
// a local SMTP server (test/harness/smtp-server.ts, STARTTLS and AUTH) that is the processor's own
// outgoing server. The SMTP server runs inside this spec's process, so the test reads exactly what the
// worker handed it; the processor points at it through its outgoing-server settings.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { and, eq, sql } from 'drizzle-orm';
import { ImapFlow } from 'imapflow';
import { createPool } from '../server/db/client';
import { seal } from '../server/crypto/secret-box';
import { caseMessages, cases, emailProcessors, outbox } from '../server/db/schema';
import { formatCaseNumber } from '../server/domain/case-number';
import { createFilter } from '../server/services/filters';
import { encodeSmtpSecret } from '../server/domain/outgoing-server';
import { createProcessor } from '../server/services/processors';
import { createUser } from '../server/services/users';
import { createSelfSignedCert } from '../test/harness/self-signed-cert';
import { type FakeSmtpServer, startSmtpServer } from '../test/harness/smtp-server';
import { signIn } from './fixtures';
import { deliver, imapPort, mailbox } from './mailbox';

const box = mailbox(6);
const PASSWORD = 'replies-password-1';
const SMTP_PASSWORD = `smtp-${randomBytes(6).toString('hex')}`;
const tag = randomBytes(3).toString('hex');

let smtp: FakeSmtpServer;
let pool: ReturnType<typeof createPool>;
let anna: { email: string; name: string };
let ben: { email: string; name: string };

function imap() {
  return new ImapFlow({ host: '127.0.0.1', port: imapPort(), secure: false, doSTARTTLS: false, auth: { user: box.user, pass: box.password }, logger: false });
}

test.beforeAll(async () => {
  test.setTimeout(60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'leopard-e2e-smtp-'));
  const cert = await createSelfSignedCert(dir);
  smtp = await startSmtpServer({ tls: { certPem: cert.certPem, keyPem: cert.keyPem }, auth: { user: box.user, pass: SMTP_PASSWORD } });
  pool = createPool(process.env.E2E_DATABASE_URL!, { max: 2, applicationName: 'leopard-e2e-replies' });

  // The mailbox needs a Sent folder for the copy (Dovecot's default namespace marks none).
  const client = imap();
  await client.connect();
  await client.mailboxCreate('Sent').catch(() => {});
  await client.logout();

  const [actor] = await pool.db.execute<{ id: string; email: string }>(sql`select id, email from users where role = 'admin' limit 1`);
  const key = Buffer.from(process.env.E2E_SECRET_KEY!, 'base64');
  // A retry of this file runs beforeAll again: the processor made the first time is kept, and pointed at
  // this run's SMTP server below.
  const [existing] = await pool.db.execute<{ id: string }>(sql`select id from email_processors where email_address = ${box.address}`);
  const processor = existing ?? await createProcessor({
    db: pool.db,
    actor: actor!,
    key,
    input: {
      emailAddress: box.address,
      name: 'Acme Support',
      active: true,
      host: '127.0.0.1',
      type: 'imap',
      port: imapPort(),
      useSsl: false,
      login: box.user,
      password: box.password,
      autoReply: false,
      allowUntrustedCert: true,
    },
  });
  // The processor's own outgoing server, set as the processor page's Outgoing mail section stores it (the
  // password sealed to these settings). Written here rather than through the service, whose module loads
  // nodemailer internals that Playwright's loader cannot import.
  const binding = { host: '127.0.0.1', port: smtp.port, security: 'starttls' as const, login: box.user, allowUntrustedCert: true };
  await pool.db
    .update(emailProcessors)
    .set({
      outgoingMode: 'smtp',
      smtpHost: binding.host,
      smtpPort: binding.port,
      smtpSecurity: binding.security,
      smtpAllowUntrustedCert: true,
      smtpLogin: null,
      smtpPasswordCiphertext: seal(encodeSmtpSecret(SMTP_PASSWORD, binding), key),
      signature: 'Kind regards,\n{agent}\n{mailbox} · {case}',
      copyToSent: true,
    })
    .where(eq(emailProcessors.id, processor.id));
  if (!existing) await createFilter({
    db: pool.db,
    actor: actor!,
    input: { processorId: processor.id, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
  });
  const make = (name: string) =>
    createUser({ db: pool.db, actor: null, input: { email: `${name.toLowerCase()}-${tag}@e2e.test`, name: `${name} ${tag}`, role: 'agent', password: PASSWORD } });
  anna = await make('Anna');
  ben = await make('Ben');
});

test.afterAll(async () => {
  await smtp?.close();
  await pool?.sql.end({ timeout: 5 });
});

test.beforeEach(() => smtp.reset());

/** A customer's mail arrives in the mailbox; resolves with its case number once the worker made the case. */
async function customerWrites(subject: string): Promise<{ caseNumber: string; caseId: string; messageId: string }> {
  const messageId = `q-${randomBytes(6).toString('hex')}@customer.example`;
  await deliver(
    box,
    [
      'From: Carla Customer <carla@customer.example>',
      `To: Acme Support <${box.address}>`,
      'Cc: Dave Colleague <dave@customer.example>',
      `Subject: ${subject}`,
      `Message-ID: <${messageId}>`,
      'References: <root-of-thread@customer.example>',
      '',
      'My printer is on fire. Please advise.',
    ].join('\n'),
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [row] = await pool.db
      .select({ caseId: cases.id, number: cases.number })
      .from(caseMessages)
      .innerJoin(cases, eq(cases.id, caseMessages.caseId))
      .where(eq(caseMessages.messageId, messageId));
    if (row) return { caseNumber: formatCaseNumber(row.number), caseId: row.caseId, messageId };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the worker made no case of ${messageId} in time`);
}

async function agentPage(browser: Browser, who: { email: string }): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, who.email, PASSWORD);
  return page;
}

async function sentFolderMessageIds(): Promise<string[]> {
  const client = imap();
  await client.connect();
  try {
    const lock = await client.getMailboxLock('Sent');
    try {
      const ids: string[] = [];
      for await (const m of client.fetch('1:*', { envelope: true })) if (m.envelope?.messageId) ids.push(m.envelope.messageId);
      return ids;
    } finally {
      lock.release();
    }
  } catch {
    return []; // an empty folder has no 1:*
  } finally {
    await client.logout().catch(() => {});
  }
}

test('an agent replies with an attachment and a CC: one threaded mail with text, HTML and the file leaves from the mailbox, a colleague sees it sent live, a copy lands in Sent, the answer reopens the case, a note is never mailed', async ({ browser }) => {
  test.setTimeout(150_000);
  const subject = `Printer on fire ${tag}`;
  const { caseNumber, caseId, messageId } = await customerWrites(subject);
  const a = await agentPage(browser, anna);
  const b = await agentPage(browser, ben);
  try {
    await a.goto(`/cases/${caseNumber}`);
    await b.goto(`/cases/${caseNumber}`);

    // Prefilled from the customer's mail: To the sender, CC the others minus our own mailbox, the tagged subject.
    await expect(a.getByLabel('To', { exact: true })).toHaveValue('Carla Customer <carla@customer.example>');
    await expect(a.getByLabel('CC', { exact: true })).toHaveValue('Dave Colleague <dave@customer.example>');
    await expect(a.getByLabel('Subject')).toHaveValue(`[${caseNumber}] Re: ${subject}`);
    await expect(a.getByTestId('composer-signature')).toContainText(`Kind regards,\n${anna.name}\nAcme Support · ${caseNumber}`);
    await a.getByLabel('CC', { exact: true }).fill('Dave Colleague <dave@customer.example>, erin@partner.example');

    await a.getByTestId('composer-editor').click();
    await a.keyboard.type('Thank you for ');
    await a.keyboard.press('Control+b');
    await a.keyboard.type('your patience');
    await a.keyboard.press('Control+b');
    await a.keyboard.type('. A technician is on the way.');
    const invoice = Buffer.from(`%PDF-1.4 invoice ${tag}\n`);
    await a.getByTestId('attach-input').setInputFiles({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: invoice });
    await expect(a.getByTestId('composer-attachment')).toContainText('invoice.pdf');
    await expect(a.getByLabel('Status after sending')).toHaveValue('pending');
    await a.getByRole('button', { name: 'Send', exact: true }).click();

    const [mail] = await smtp.waitForMails(1, 30_000);
    const parsed = mail!.parsed;
    expect(parsed.from?.value[0]?.address).toBe(box.address);
    expect(mail!.envelope.from).toBe(box.address);
    expect(mail!.envelope.to.sort()).toEqual(['carla@customer.example', 'dave@customer.example', 'erin@partner.example']);
    expect(mail!.secure).toBe(true);
    expect(parsed.subject).toBe(`[${caseNumber}] Re: ${subject}`);
    expect(parsed.inReplyTo).toBe(`<${messageId}>`);
    expect(parsed.references).toEqual(['<root-of-thread@customer.example>', `<${messageId}>`]);
    expect(parsed.text).toContain('Thank you for your patience. A technician is on the way.');
    expect(parsed.text).toContain(`-- \nKind regards,\n${anna.name}`);
    expect(parsed.text).toContain('> My printer is on fire.');
    expect(parsed.html).toContain('<strong>your patience</strong>');
    expect(parsed.attachments.map((f) => [f.filename, f.contentType, f.content.toString()])).toEqual([['invoice.pdf', 'application/pdf', invoice.toString()]]);
    const ourMessageId = parsed.messageId!;

    // Ben did nothing: the reply appears in his thread by itself, and turns "sent".
    const reply = b.locator('[data-testid="message"][data-direction="outbound"]');
    await expect(reply).toHaveCount(1);
    await expect(reply.getByTestId('delivery-state')).toHaveAttribute('data-state', 'sent', { timeout: 30_000 });
    await expect(reply.getByTestId('reply-author')).toHaveText(`Reply by ${anna.name}`);
    await expect(reply.getByRole('link', { name: 'invoice.pdf' })).toBeVisible();
    await expect(b.getByTestId('case-status')).toHaveText('Pending');
    await expect(reply.getByTestId('sent-copy')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect.poll(sentFolderMessageIds, { timeout: 30_000 }).toContain(ourMessageId);
    expect(smtp.mails).toHaveLength(1);

    // The customer answers from their mail client: no tag, only In-Reply-To = our Message-ID.
    await deliver(
      box,
      [
        'From: Carla Customer <carla@customer.example>',
        `To: ${box.address}`,
        'Subject: Re: Printer on fire',
        `Message-ID: <answer-${tag}@customer.example>`,
        `In-Reply-To: ${ourMessageId}`,
        `References: <${messageId}> ${ourMessageId}`,
        '',
        'Thanks, the fire is out.',
      ].join('\n'),
    );
    await expect(b.getByTestId('message').last()).toContainText('the fire is out', { timeout: 30_000 });
    await expect(b.getByTestId('message').last().getByTestId('thread-reason')).toHaveAttribute('data-reason', 'reference');
    await expect(b.getByTestId('case-status')).toHaveText('New');
    // Ben's composer, opened before the answer and untouched, now answers (and quotes) the answer.
    await expect(b.getByTestId('composer-quote')).toContainText('> Thanks, the fire is out.');
    await expect(b.getByLabel('Subject')).toHaveValue(`[${caseNumber}] Re: Printer on fire`);

    // An internal note: in the thread for Ben, marked, and never given to any mail server.
    await a.getByRole('button', { name: 'Note', exact: true }).click();
    await expect(a.getByTestId('note-banner')).toContainText('Internal note — not emailed');
    await a.getByTestId('composer-editor').click();
    await a.keyboard.type(`Customer is a VIP ${tag}`);
    await a.getByRole('button', { name: 'Add note' }).click();
    const note = b.locator('[data-testid="message"][data-direction="note"]');
    await expect(note).toContainText(`Customer is a VIP ${tag}`);
    await expect(note).toContainText('Internal note — not emailed');
    const [noteRow] = await pool.db.select({ id: caseMessages.id }).from(caseMessages).where(and(eq(caseMessages.caseId, caseId), eq(caseMessages.direction, 'note')));
    expect(await pool.db.select().from(outbox).where(eq(outbox.caseMessageId, noteRow!.id))).toEqual([]);
    expect(smtp.mails).toHaveLength(1);
  } finally {
    await a.context().close();
    await b.context().close();
  }
});

test('a draft survives a reload: text, changed CC and the attached file are still there', async ({ browser }) => {
  const { caseNumber } = await customerWrites(`Draft me ${tag}`);
  const a = await agentPage(browser, anna);
  try {
    await a.goto(`/cases/${caseNumber}`);
    await a.getByLabel('CC', { exact: true }).fill('someone@partner.example');
    await a.getByTestId('composer-editor').click();
    await a.keyboard.type('Half-written answer that must not be lost');
    await a.getByTestId('attach-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect(a.getByTestId('composer-attachment')).toContainText('notes.txt');
    await expect(a.getByTestId('draft-state')).toHaveAttribute('data-state', 'saved');

    await a.reload();
    await expect(a.getByTestId('composer-editor')).toHaveText('Half-written answer that must not be lost');
    await expect(a.getByLabel('CC', { exact: true })).toHaveValue('someone@partner.example');
    await expect(a.getByTestId('composer-attachment')).toContainText('notes.txt');
    expect(smtp.mails).toHaveLength(0);
  } finally {
    await a.context().close();
  }
});

test('files over 25 MB in all are refused with the sizes in words, before anything is uploaded', async ({ browser }) => {
  const { caseNumber } = await customerWrites(`Big files ${tag}`);
  const a = await agentPage(browser, anna);
  try {
    await a.goto(`/cases/${caseNumber}`);
    await a.getByTestId('attach-input').setInputFiles({ name: 'video.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(26 * 1024 * 1024, 1) });
    await expect(a.getByTestId('attach-error')).toHaveText(
      'Attachments may be 25.0 MB in all: video.mp4 (26.0 MB) would make 26.0 MB. Remove a file or send it another way.',
    );
    await expect(a.getByTestId('composer-attachment')).toHaveCount(0);
  } finally {
    await a.context().close();
  }
});

test("sending after a colleague's reply to the same message went out asks first, and Send anyway sends", async ({ browser }) => {
  test.setTimeout(120_000);
  const { caseNumber } = await customerWrites(`Both answer ${tag}`);
  const a = await agentPage(browser, anna);
  const b = await agentPage(browser, ben);
  try {
    await a.goto(`/cases/${caseNumber}`);
    await b.goto(`/cases/${caseNumber}`);
    await a.getByTestId('composer-editor').click();
    await a.keyboard.type('Anna starts writing');
    await expect(a.getByTestId('draft-state')).toHaveAttribute('data-state', 'saved');

    await b.getByTestId('composer-editor').click();
    await b.keyboard.type('Ben answers first');
    await b.getByRole('button', { name: 'Send', exact: true }).click();
    await smtp.waitForMails(1, 30_000);

    await a.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(a.getByTestId('reply-conflict')).toContainText(`${ben.name} already replied at`);
    await expect(a.getByTestId('reply-conflict')).toContainText('Send anyway?');
    expect(smtp.mails).toHaveLength(1);
    await a.getByRole('button', { name: 'Send anyway' }).click();
    const mails = await smtp.waitForMails(2, 30_000);
    expect(mails[1]!.parsed.text).toContain('Anna starts writing');
  } finally {
    await a.context().close();
    await b.context().close();
  }
});

test("a reply the SMTP server refuses shows failed with the server's words and a Retry button that sends it", async ({ browser }) => {
  test.setTimeout(120_000);
  const { caseNumber } = await customerWrites(`Refused ${tag}`);
  const a = await agentPage(browser, anna);
  try {
    await a.goto(`/cases/${caseNumber}`);
    smtp.failNextMessages(1, { code: 550, message: '5.7.1 Message rejected: sender not allowed to relay' });
    await a.getByTestId('composer-editor').click();
    await a.keyboard.type('This one is refused first');
    await a.getByRole('button', { name: 'Send', exact: true }).click();

    const reply = a.locator('[data-testid="message"][data-direction="outbound"]');
    await expect(reply.getByTestId('delivery-state')).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
    await expect(reply.getByTestId('delivery-detail')).toContainText('sender not allowed to relay');
    expect(smtp.mails).toHaveLength(0);

    await reply.getByRole('button', { name: 'Retry' }).click();
    await expect(reply.getByTestId('delivery-state')).toHaveAttribute('data-state', 'sent', { timeout: 30_000 });
    await expect(reply.getByRole('button', { name: 'Retry' })).toHaveCount(0);
    const [mail] = await smtp.waitForMails(1, 10_000);
    expect(mail!.parsed.text).toContain('This one is refused first');
  } finally {
    await a.context().close();
  }
});
