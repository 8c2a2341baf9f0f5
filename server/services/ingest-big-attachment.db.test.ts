// A big attachment used to travel to Postgres as one hex parameter per value: ~6× the message in memory and
// the worker's event loop blocked for seconds (bench/scenarios/big-message.ts). It now goes in slices
// (server/db/large-bytea.ts); the raw message and the attachment must still be stored byte for byte.
import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { LARGE_BYTEA_BYTES } from '../db/large-bytea';
import { attachments, caseMessages, rawMessages } from '../db/schema';
import { getAttachmentContent } from './attachments';
import { ingestMessage } from './ingest';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  await seedCatalog(testDb.db);
});

afterAll(() => testDb?.drop());

function mailWithAttachment(file: Buffer): Buffer {
  const b64 = file.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Jane Doe <jane@customer.example>',
      'To: support@acme.example',
      'Subject: Scans of the signed contract',
      'Message-ID: <big-attachment-1@customer.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Attached.',
      '--b1',
      'Content-Type: application/pdf; name="scans.pdf"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="scans.pdf"',
      '',
      b64,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

describe('a message with a big attachment', () => {
  it('stores the raw message and the attachment byte for byte', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const file = randomBytes(3 * LARGE_BYTEA_BYTES + 777);
    const raw = mailWithAttachment(file);
    const result = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: 1, raw, isImport: false });
    expect(result.kind).toBe('created');
    if (result.kind !== 'created') return;

    const [stored] = await testDb.db.select().from(rawMessages).where(eq(rawMessages.processorId, processorId));
    expect(stored!.content.equals(raw)).toBe(true);
    expect(stored!.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    const [message] = await testDb.db.select({ id: caseMessages.id }).from(caseMessages).where(eq(caseMessages.id, result.caseMessageId));
    const [attachment] = await testDb.db.select().from(attachments).where(eq(attachments.caseMessageId, message!.id));
    expect(attachment).toMatchObject({ filename: 'scans.pdf', size: file.length });
    // Its bytes are the raw message's, decoded when downloaded.
    expect(attachment!.content.length).toBe(0);
    expect((await getAttachmentContent({ db: testDb.db, id: attachment!.id })).content.equals(file)).toBe(true);
  });
});
