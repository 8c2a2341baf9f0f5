// A delivery status notification for one of our replies joins that reply's case as its bounce.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { caseMessages, cases, outbox } from '../db/schema';
import { resetEnvForTests } from '../env';
import { sendReply } from './case-replies';
import { listCaseThread } from './case-thread';
import { ingestMessage } from './ingest';

let testDb: TestDatabase;
let agentId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  agentId = (await seedCatalog(testDb.db)).users.agent;
});
afterAll(() => testDb?.drop());

const mail = (...lines: string[]) => Buffer.from(lines.join('\r\n'));

function dsnFor(messageId: string, references: string) {
  return mail(
    'From: MAILER-DAEMON@relay.example',
    'To: support@acme.example',
    'Subject: Undelivered Mail Returned to Sender',
    'Message-ID: <dsn-1@relay.example>',
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
    'Final-Recipient: rfc822; gone@customer.example',
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
    '',
    '--r1',
    'Content-Type: text/rfc822-headers',
    '',
    'From: support@acme.example',
    'To: gone@customer.example',
    'Subject: Re: Printer',
    `Message-ID: <${messageId}>`,
    `References: ${references}`,
    '',
    '--r1--',
  );
}

describe('a bounce of our reply', () => {
  it('is attached to the reply case as its bounce, marks the reply bounced, and opens no case', async () => {
    const { processorId } = await createMailbox(testDb.db, { emailAddress: 'support@acme.example', autoReply: true });
    const first = await ingestMessage({
      db: testDb.db,
      processorId,
      uidValidity: 1,
      uid: 1,
      raw: mail('From: Jane <gone@customer.example>', 'To: support@acme.example', 'Subject: Printer', 'Message-ID: <q-1@customer.example>', '', 'Help'),
      isImport: false,
    });
    if (first.kind !== 'created') throw new Error('expected a case');
    const reply = await sendReply({
      db: testDb.db,
      actorId: agentId,
      caseId: first.caseId,
      inReplyToMessageId: first.caseMessageId,
      to: [{ address: 'gone@customer.example', name: 'Jane' }],
      cc: [],
      subject: '',
      text: 'We are on it.',
    });
    const casesBefore = (await testDb.db.select().from(cases)).length;
    const outboxBefore = (await testDb.db.select().from(outbox)).length;

    // The subject has no tag: only the returned headers say which message bounced.
    const result = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: 2, raw: dsnFor(reply.messageId, '<q-1@customer.example>'), isImport: false });
    expect(result).toMatchObject({ kind: 'appended', caseId: first.caseId, reason: 'reference' });
    if (result.kind !== 'appended') throw new Error(`expected the DSN to join the case, got ${result.kind}`);
    expect(await testDb.db.select().from(cases)).toHaveLength(casesBefore);
    expect(await testDb.db.select().from(outbox)).toHaveLength(outboxBefore);

    const [dsn] = await testDb.db.select().from(caseMessages).where(eq(caseMessages.id, result.caseMessageId));
    expect(dsn!.bounceOfId).toBe(reply.caseMessageId);
    const thread = await listCaseThread({ db: testDb.db, caseId: first.caseId });
    const ours = thread.find((m) => m.id === reply.caseMessageId)!;
    expect(ours.delivery).toMatchObject({ state: 'bounced', recipient: 'gone@customer.example', status: '5.1.1', diagnostic: '550 5.1.1 User unknown' });
    expect(thread.find((m) => m.id === result.caseMessageId)!.bounceOfId).toBe(reply.caseMessageId);
  });
});
