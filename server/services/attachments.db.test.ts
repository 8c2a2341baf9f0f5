// Attachments of inbound mail are stored once, as parts of the raw message (attachments.raw_part), and
// decoded from it when downloaded (server/services/attachments.ts): what the download gives must be the
// file byte for byte, whatever its transfer encoding; a part that no longer matches what the intake saw
// is an error, never other bytes; a row that holds its bytes (older mail, agents' replies) is served as it is.
import { createHash, randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { attachments } from '../db/schema';
import { getAttachmentContent } from './attachments';
import { ingestMessage } from './ingest';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  await seedCatalog(testDb.db);
});

afterAll(() => testDb?.drop());

const binary = randomBytes(70_000);
const latin = Buffer.from('Grüße, naïve café – 100 €\r\nzweite Zeile\r\n', 'utf8');
const attached = Buffer.from('From: a@b.example\r\nSubject: inner\r\n\r\nthe forwarded mail\r\n');

function mail(): Buffer {
  const qp = latin
    .toString('latin1')
    .replace(/[^\x20-\x7e\r\n]|=/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return Buffer.from(
    [
      'From: Jane Doe <jane@customer.example>',
      'To: support@acme.example',
      'Subject: Three files',
      'Message-ID: <three-files@customer.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Attached.',
      '--b1',
      'Content-Type: application/octet-stream; name="blob.bin"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="blob.bin"',
      '',
      binary.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b1',
      'Content-Type: text/plain; charset=iso-8859-1; name="notes.txt"',
      'Content-Transfer-Encoding: quoted-printable',
      'Content-Disposition: attachment; filename="notes.txt"',
      '',
      qp,
      '--b1',
      'Content-Type: message/rfc822',
      'Content-Disposition: attachment',
      '',
      attached.toString('latin1'),
      '--b1--',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

describe('attachments of inbound mail', () => {
  it('are stored once, in the raw message, and downloaded byte for byte', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const result = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: 1, raw: mail(), isImport: false });
    if (result.kind !== 'created') throw new Error(`not created: ${result.kind}`);
    const rows = await testDb.db.select().from(attachments).where(eq(attachments.caseMessageId, result.caseMessageId)).orderBy(asc(attachments.rawPart));
    expect(rows.map((r) => [r.filename, r.rawPart, r.content.length])).toEqual([
      ['blob.bin', 0, 0],
      ['notes.txt', 1, 0],
      [expect.stringMatching(/inner/), 2, 0],
    ]);
    const served = await Promise.all(rows.map((r) => getAttachmentContent({ db: testDb.db, id: r.id })));
    expect(served[0]!.content.equals(binary)).toBe(true);
    expect(served[1]!.content.toString('latin1')).toBe(latin.toString('latin1'));
    expect(served[2]!.content.toString()).toContain('the forwarded mail');
    expect(served.map((s, i) => createHash('sha256').update(s.content).digest('hex') === rows[i]!.checksum)).toEqual([true, true, true]);
    expect(served.map((s) => s.filename)).toEqual(rows.map((r) => r.filename));
  });

  it('finds a part by its checksum when the parts are listed in another order, and refuses one that is not there', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const result = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: 1, raw: mail(), isImport: false });
    if (result.kind !== 'created') throw new Error(`not created: ${result.kind}`);
    const [blob] = await testDb.db.select().from(attachments).where(eq(attachments.caseMessageId, result.caseMessageId)).orderBy(asc(attachments.rawPart));
    await testDb.db.update(attachments).set({ rawPart: 2 }).where(eq(attachments.id, blob!.id));
    expect((await getAttachmentContent({ db: testDb.db, id: blob!.id })).content.equals(binary)).toBe(true);
    await testDb.db.update(attachments).set({ checksum: 'f'.repeat(64) }).where(eq(attachments.id, blob!.id));
    await expect(getAttachmentContent({ db: testDb.db, id: blob!.id })).rejects.toThrow(/not the file stored at intake/);
  });

  it('a row that holds its bytes is served as stored', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const result = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: 1, raw: mail(), isImport: false });
    if (result.kind !== 'created') throw new Error(`not created: ${result.kind}`);
    const [row] = await testDb.db
      .insert(attachments)
      .values({ caseMessageId: result.caseMessageId, filename: 'old.pdf', contentType: 'application/pdf', size: 4, content: Buffer.from('%PDF') })
      .returning({ id: attachments.id });
    expect((await getAttachmentContent({ db: testDb.db, id: row!.id })).content.toString()).toBe('%PDF');
  });
});
