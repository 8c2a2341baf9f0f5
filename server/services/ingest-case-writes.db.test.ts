// What an import round writes to the cases table (server/services/case-intake.ts, writeIntake): each case
// row version carries every index entry again (the GIN index on search_vector takes all the case's words),
// so a new case is inserted with its contact and its words are refreshed once for the round, after its
// messages and attachments, not once per statement. Search still finds every word, attachment names too.
import { asc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import * as schema from '../db/schema';
import { cases, contacts } from '../db/schema';
import { ingestBatch } from './ingest';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  await seedCatalog(testDb.db);
  // Counts the row versions the intake makes of each case (inserts and updates).
  await testDb.sql.unsafe(`
    create table case_writes (case_id uuid not null, op text not null);
    create function count_case_writes() returns trigger language plpgsql as $$
    begin insert into case_writes values (new.id, tg_op); return null; end $$;
    create trigger count_case_writes after insert or update on cases for each row execute function count_case_writes();`);
});

afterAll(async () => {
  await testDb?.drop();
});

function withAttachment(messageId: string, sender: string, filename: string): Buffer {
  return Buffer.from(
    [
      `From: ${sender}`,
      'To: support@acme.example',
      'Subject: Quarterly figures',
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The spreadsheet is attached, with the walrus numbers.',
      '--b1',
      `Content-Type: application/pdf; name="${filename}"`,
      `Content-Disposition: attachment; filename="${filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 figures').toString('base64'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

async function writesOf(caseId: string): Promise<string[]> {
  const rows = await testDb.sql<{ op: string }[]>`select op from case_writes where case_id = ${caseId}`;
  return rows.map((r) => r.op).sort();
}

async function found(words: string): Promise<string[]> {
  const rows = await testDb.db
    .select({ subject: cases.subject })
    .from(cases)
    .where(sql`${cases.searchVector} @@ plainto_tsquery('leopard_search', ${words})`)
    .orderBy(asc(cases.number));
  return rows.map((r) => r.subject);
}

describe('the case rows an import round writes', () => {
  it('a new case from a new sender with an attachment: inserted with its contact, its words refreshed once', async () => {
    const { processorId } = await createMailbox(testDb.db, { emailAddress: 'support@acme.example' });
    const batch = [
      withAttachment('<figures@customer.example>', 'Nora Quist <nora@customer.example>', 'Walrus-Report_2026.pdf'),
      rawMail({ from: 'Ivo Brandt <ivo@else.example>', subject: 'Kettle broken', messageId: '<kettle@else.example>' }),
    ].map((raw, i) => ({ uid: i + 1, raw, isImport: true }));
    const results = await ingestBatch({ db: testDb.db, processorId, uidValidity: 1, messages: batch });
    expect(results.map((r) => r.kind)).toEqual(['created', 'created']);

    const rows = await testDb.db.select({ id: cases.id, subject: cases.subject, contactId: cases.contactId }).from(cases).orderBy(asc(cases.number));
    for (const row of rows) {
      expect(await writesOf(row.id)).toEqual(['INSERT', 'UPDATE']);
      const [contact] = await testDb.db.select({ createdBy: contacts.createdByCaseId }).from(contacts).where(eq(contacts.id, row.contactId!));
      expect(contact?.createdBy).toBe(row.id);
    }
    expect(await found('walrus')).toEqual(['Quarterly figures']);
    expect(await found('report')).toEqual(['Quarterly figures']);
    expect(await found('nora')).toEqual(['Quarterly figures']);
    expect(await found('kettle')).toEqual(['Kettle broken']);
  });

  it('a reply that adds no new word: the case is marked New again, its words are left alone', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const original = rawMail({ from: 'Pia Holm <pia@customer.example>', subject: 'Lamp flickers', messageId: '<lamp@customer.example>', body: 'The lamp flickers' });
    const [created] = await ingestBatch({ db: testDb.db, processorId, uidValidity: 1, messages: [{ uid: 1, raw: original, isImport: true }] });
    expect(created?.kind).toBe('created');
    const caseId = (created as { caseId: string }).caseId;
    await testDb.sql`delete from case_writes`;
    const reply = rawMail({ from: 'Pia Holm <pia@customer.example>', subject: 'Lamp flickers', messageId: '<lamp2@customer.example>', inReplyTo: '<lamp@customer.example>', body: 'lamp flickers' });
    const [appended] = await ingestBatch({ db: testDb.db, processorId, uidValidity: 1, messages: [{ uid: 2, raw: reply, isImport: true }] });
    expect(appended?.kind).toBe('appended');
    // The status update only; the refresh found the same words.
    expect(await writesOf(caseId)).toEqual(['UPDATE']);
    expect(await found('flickers')).toContain('Lamp flickers');
  });

  it("runs a round's statements prepared, so they go out one after another without a round trip each", async () => {
    // One connection, so the statements the ingest prepared are the ones this session lists.
    const client = postgres(testDb.url, { max: 1, onnotice: () => {} });
    try {
      const db = drizzle(client, { schema });
      const { processorId } = await createMailbox(db);
      const batch = [
        withAttachment('<prep-1@customer.example>', 'Una Berg <una@customer.example>', 'Invoice.pdf'),
        rawMail({ from: 'Tor Lund <tor@else.example>', subject: 'Door stuck' }),
      ].map((raw, i) => ({ uid: i + 1, raw, isImport: true }));
      await ingestBatch({ db, processorId, uidValidity: 1, messages: batch });
      const prepared = await client<{ statement: string }[]>`select statement from pg_prepared_statements`;
      const writes = ['insert into "raw_messages"', 'insert into "case_messages"', 'insert into "attachments"', 'insert into "cases"', 'update "email_processors"'];
      for (const write of writes) expect(prepared.some((p) => p.statement.includes(write)), write).toBe(true);
    } finally {
      await client.end();
    }
  });
});
