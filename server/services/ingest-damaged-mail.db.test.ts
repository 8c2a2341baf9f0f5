// Damaged real-world mail through ingestMessage into Postgres and back out through the case thread: the
// sender found in Sender / Reply-To is stored with where it came from and gets its contact; a bounce's
// delivery report is stored structured beside a text that does not repeat it; a legacy-charset subject
// reaches the case readable.
import iconv from 'iconv-lite';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { attachments, caseMessages, cases, contacts } from '../db/schema';
import { listCaseThread } from './case-thread';
import { type IngestResult, ingestMessage } from './ingest';

let testDb: TestDatabase;
let processorId: string;
let nextUid = 1;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  await seedCatalog(testDb.db);
  ({ processorId } = await createMailbox(testDb.db, { filters: [{ priority: 1 }] }));
});

afterAll(() => testDb?.drop());

function mail(...lines: Array<string | Buffer>): Buffer {
  return Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l, 'latin1') : l, Buffer.from('\r\n')]));
}

async function ingestNew(raw: Buffer) {
  const result: IngestResult = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: nextUid++, raw, isImport: false });
  if (result.kind !== 'created') throw new Error(`expected a new case, got ${JSON.stringify(result)}`);
  return result;
}

describe('a message without a usable From', () => {
  it('stores the Sender address as the sender, says it came from Sender, and links its contact', async () => {
    const result = await ingestNew(
      mail('From: <>', 'Sender: Help Desk <desk@customer.example>', 'To: support@acme.example', 'Subject: no from here', 'Message-ID: <nofrom-1@customer.example>', '', 'body'),
    );
    const [message] = await testDb.db.select().from(caseMessages).where(eq(caseMessages.id, result.caseMessageId));
    expect(message).toMatchObject({ fromAddress: 'desk@customer.example', fromName: 'Help Desk', senderSource: 'sender' });

    const [row] = await testDb.db.select().from(cases).where(eq(cases.id, result.caseId));
    expect(row!.contactId).not.toBeNull();
    const [contact] = await testDb.db.select().from(contacts).where(eq(contacts.id, row!.contactId!));
    expect(contact).toMatchObject({ email: 'desk@customer.example', firstName: 'Help', lastName: 'Desk' });

    const [shown] = await listCaseThread({ db: testDb.db, caseId: result.caseId });
    expect(shown!.senderSource).toBe('sender');
  });

  it('records From as the source of an ordinary message', async () => {
    const result = await ingestNew(mail('From: jane@customer.example', 'Subject: ordinary', 'Message-ID: <ordinary-1@customer.example>', '', 'body'));
    const [shown] = await listCaseThread({ db: testDb.db, caseId: result.caseId });
    expect(shown).toMatchObject({ fromAddress: 'jane@customer.example', senderSource: 'from', deliveryReport: null });
  });
});

describe('a bounce', () => {
  it('stores the delivery report structured, keeps it out of the text, and keeps the returned message as an .eml', async () => {
    const result = await ingestNew(
      mail(
        'From: MAILER-DAEMON@relay.example',
        'To: support@acme.example',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <bounce-1@relay.example>',
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
        'Final-Recipient: rfc822; gone@customer.example',
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
        '',
        '--r1',
        'Content-Type: message/rfc822',
        '',
        'From: support@acme.example',
        'Subject: [LC0000007] Re: Printer',
        'Message-ID: <our-reply-7@acme.example>',
        '',
        'We are on it.',
        '--r1--',
      ),
    );
    const [message] = await testDb.db.select().from(caseMessages).where(eq(caseMessages.id, result.caseMessageId));
    expect(message!.textBody?.trim()).toBe('Your message could not be delivered.');
    expect(message!.deliveryReport).toMatchObject({
      reportingMta: 'relay.example',
      recipients: [{ finalRecipient: 'gone@customer.example', action: 'failed', status: '5.1.1', diagnosticCode: '550 5.1.1 User unknown' }],
      originalMessageId: 'our-reply-7@acme.example',
      originalSubject: '[LC0000007] Re: Printer',
    });
    const files = await testDb.db.select({ filename: attachments.filename }).from(attachments).where(eq(attachments.caseMessageId, result.caseMessageId));
    expect(files.map((f) => f.filename).sort()).toEqual(['[LC0000007] Re_ Printer.eml', 'delivery-status.txt']);

    const [shown] = await listCaseThread({ db: testDb.db, caseId: result.caseId });
    expect(shown!.deliveryReport?.recipients[0]?.finalRecipient).toBe('gone@customer.example');
  });
});

describe('a raw 8-bit subject in a legacy charset', () => {
  it('reaches the case and its message readable', async () => {
    const subject = Buffer.concat([Buffer.from('Subject: '), iconv.encode('转发：关于会议的通知', 'gb2312')]);
    const result = await ingestNew(mail('From: li@customer.example', subject, 'Message-ID: <gb-1@customer.example>', '', 'body'));
    const [row] = await testDb.db.select().from(cases).where(eq(cases.id, result.caseId));
    expect(row!.subject).toBe('转发：关于会议的通知');
  });
});
