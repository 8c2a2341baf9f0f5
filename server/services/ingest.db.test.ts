// The seed's case rules end to end through ingestMessage: threading, filters, contacts, duplicates, the cursor.
import { asc, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail, uniqueMessageId } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { attachments, caseMessages, cases, contacts, emailProcessors, rawMessages } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import { NO_FILTER_MATCHED_NOTE } from '../domain/match-filters';
import { AppError } from '../errors';
import { getAttachmentContent } from './attachments';
import { type IngestResult, ingestMessage } from './ingest';

let testDb: TestDatabase;
let catalog: Catalog;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  catalog = await seedCatalog(testDb.db);
});

afterAll(() => testDb?.drop());

let nextUid = 1;
async function ingest(processorId: string, raw: Buffer, opts: { uid?: number; uidValidity?: number; isImport?: boolean } = {}) {
  return ingestMessage({
    db: testDb.db,
    processorId,
    uidValidity: opts.uidValidity ?? 1,
    uid: opts.uid ?? nextUid++,
    raw,
    isImport: opts.isImport ?? false,
  });
}

function created(result: IngestResult) {
  if (result.kind !== 'created') throw new Error(`expected a new case, got ${JSON.stringify(result)}`);
  return result;
}

async function caseRow(caseId: string) {
  const [row] = await testDb.db.select().from(cases).where(eq(cases.id, caseId));
  return row;
}

async function addContact(email: string, firstName: string, lastName: string, createdAt: Date) {
  const [row] = await testDb.db.insert(contacts).values({ email, firstName, lastName, createdAt }).returning({ id: contacts.id });
  return row.id;
}

describe('a message without a case tag', () => {
  it("opens a new case with the matching filter's type, priority, assignee and manager", async () => {
    const { processorId } = await createMailbox(testDb.db, {
      filters: [
        { priority: 10, matchField: 'subject', matchRule: 'contains', matchValue: 'invoice', caseTypeId: catalog.types.sales, assignedToId: catalog.users.agent },
        { priority: 20, matchField: 'from_address', matchRule: 'ends_with', matchValue: '@customer.example', casePriorityId: catalog.priorities.high, managedById: catalog.users.manager },
        { priority: 30, matchField: 'subject', matchRule: 'contains', matchValue: 'never' , caseTypeId: catalog.types.general },
      ],
    });
    const result = created(await ingest(processorId, rawMail({ subject: 'Wrong invoice total' })));

    const row = await caseRow(result.caseId);
    expect(row).toMatchObject({
      subject: 'Wrong invoice total',
      status: 'new',
      caseTypeId: catalog.types.sales,
      casePriorityId: catalog.priorities.high,
      assignedToId: catalog.users.agent,
      managedById: catalog.users.manager,
      processorId,
      notes: [],
    });
    expect(row.number).toBe(result.caseNumber);
    const messages = await testDb.db.select().from(caseMessages).where(eq(caseMessages.caseId, result.caseId));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: result.caseMessageId, direction: 'inbound', threadReason: 'new', fromAddress: 'jane@customer.example' });
  });

  it('gets the system defaults and a note when no filter matches', async () => {
    const { processorId } = await createMailbox(testDb.db, {
      filters: [{ matchField: 'subject', matchRule: 'equals', matchValue: 'nothing like this', assignedToId: catalog.users.agent }],
    });
    const row = await caseRow(created(await ingest(processorId, rawMail())).caseId);
    expect(row).toMatchObject({ caseTypeId: catalog.types.general, casePriorityId: catalog.priorities.normal, assignedToId: null, managedById: null });
    expect(row.notes).toContain(NO_FILTER_MATCHED_NOTE);
  });

  it('stores the exact raw bytes and links them from the case message', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail({ body: 'Bytes, exactly.\n' });
    const result = created(await ingest(processorId, raw, { uid: 7001 }));
    const [message] = await testDb.db.select().from(caseMessages).where(eq(caseMessages.id, result.caseMessageId));
    const [stored] = await testDb.db.select().from(rawMessages).where(eq(rawMessages.id, message.rawMessageId!));
    expect(stored).toMatchObject({ processorId, uidValidity: 1, uid: 7001, size: raw.length });
    expect(Buffer.compare(stored.content, raw)).toBe(0);
  });

  it('stores raw bytes uncompressed unless the server compresses with lz4 (pglz costs far more than it saves)', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail({ body: 'The same line again and again.\n'.repeat(400) });
    const result = created(await ingest(processorId, raw, { uid: 7002 }));
    const [row] = await testDb.db.execute<{ method: string | null }>(
      sql`select pg_column_compression(r.content) as method from raw_messages r join case_messages m on m.raw_message_id = r.id where m.id = ${result.caseMessageId}`,
    );
    expect([null, 'lz4']).toContain(row!.method);
  });

  it('stores attachments with their Content-ID, marking images the HTML shows as inline', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = Buffer.from(
      [
        'From: Jane Doe <jane@customer.example>',
        'Subject: screenshot attached',
        `Message-ID: ${uniqueMessageId()}`,
        'Content-Type: multipart/related; boundary="b"',
        '',
        '--b',
        'Content-Type: text/html',
        '',
        '<p>look</p><img src="cid:pic@customer.example">',
        '--b',
        'Content-Type: image/gif',
        'Content-ID: <pic@customer.example>',
        'Content-Transfer-Encoding: base64',
        '',
        'R0lGODlhAQABAAAAACw=',
        '--b',
        'Content-Type: text/csv; name="numbers.csv"',
        'Content-Disposition: attachment; filename="numbers.csv"',
        '',
        'a,b',
        '--b--',
        '',
      ].join('\r\n'),
    );
    const result = created(await ingest(processorId, raw));
    const stored = await testDb.db.select().from(attachments).where(eq(attachments.caseMessageId, result.caseMessageId)).orderBy(asc(attachments.contentType));
    expect(stored.map((a) => ({ contentType: a.contentType, filename: a.filename, inline: a.inline, contentId: a.contentId }))).toEqual([
      { contentType: 'image/gif', filename: 'part-1.gif', inline: true, contentId: 'pic@customer.example' },
      { contentType: 'text/csv', filename: 'numbers.csv', inline: false, contentId: null },
    ]);
    // Stored once, as parts of the raw message, and served from it.
    expect(stored.map((a) => ({ content: a.content.length, rawPart: a.rawPart }))).toEqual([
      { content: 0, rawPart: 0 },
      { content: 0, rawPart: 1 },
    ]);
    expect((await getAttachmentContent({ db: testDb.db, id: stored[1]!.id })).content.toString()).toBe('a,b');
    expect((await getAttachmentContent({ db: testDb.db, id: stored[0]!.id })).content.equals(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'))).toBe(true);
  });

  it('opens a case without a contact, with a note, when the message has no From (a bounce)', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const result = created(await ingest(processorId, rawMail({ from: null, subject: 'Undelivered Mail Returned to Sender' })));
    const row = await caseRow(result.caseId);
    expect(row.contactId).toBeNull();
    expect(row.notes).toContain('The message has no sender address, so no contact is linked.');
  });
});

describe('contact matching for a new case', () => {
  it('links the one contact with the sender address, ignoring letter case', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const contactId = await addContact('Solo@Customer.Example', 'Sol', 'Oh', new Date('2024-01-01'));
    const result = created(await ingest(processorId, rawMail({ from: 'Somebody Else <solo@customer.example>' })));
    expect((await caseRow(result.caseId)).contactId).toBe(contactId);
    const [{ value }] = await testDb.db.select({ value: count() }).from(contacts).where(eq(contacts.email, 'solo@customer.example'));
    expect(value).toBe(0);
  });

  it('narrows several contacts with that address by the From display name', async () => {
    const { processorId } = await createMailbox(testDb.db);
    await addContact('family@customer.example', 'Anna', 'Smith', new Date('2024-01-01'));
    const bob = await addContact('family@customer.example', 'Bob', 'Smith', new Date('2024-02-01'));
    const result = created(await ingest(processorId, rawMail({ from: '"Smith, Bob" <family@customer.example>' })));
    const row = await caseRow(result.caseId);
    expect(row.contactId).toBe(bob);
    expect(row.notes).toEqual([]);
  });

  it('chooses the oldest and notes the ambiguity when the name does not narrow them to one', async () => {
    const { processorId } = await createMailbox(testDb.db);
    await addContact('shared@customer.example', 'Carl', 'Jones', new Date('2024-03-01'));
    const oldest = await addContact('shared@customer.example', 'Dana', 'Jones', new Date('2023-01-01'));
    const result = created(await ingest(processorId, rawMail({ from: 'Eve Jones <shared@customer.example>' })));
    const row = await caseRow(result.caseId);
    expect(row.contactId).toBe(oldest);
    expect(row.notes.join(' ')).toMatch(/2 contacts share shared@customer\.example.*chose the oldest/);
  });

  it('creates a contact named from the display name, remembered as created by the case', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const result = created(await ingest(processorId, rawMail({ from: '=?UTF-8?Q?Zo=C3=AB_Brown?= <zoe.brown@new.example>' })));
    const row = await caseRow(result.caseId);
    const [contact] = await testDb.db.select().from(contacts).where(eq(contacts.id, row.contactId!));
    expect(contact).toMatchObject({ firstName: 'Zoë', lastName: 'Brown', email: 'zoe.brown@new.example', createdByCaseId: result.caseId });
  });

  it('creates one contact when two mailboxes get a first mail from the same person at once', async () => {
    const [a, b] = await Promise.all([createMailbox(testDb.db), createMailbox(testDb.db)]);
    const from = 'Twin Sender <twin@new.example>';
    const results = await Promise.all([ingest(a.processorId, rawMail({ from })), ingest(b.processorId, rawMail({ from }))]);
    const rows = await Promise.all(results.map((r) => caseRow(created(r).caseId)));
    const found = await testDb.db.select().from(contacts).where(eq(contacts.email, 'twin@new.example'));
    expect(found).toHaveLength(1);
    expect(rows.map((r) => r.contactId)).toEqual([found[0].id, found[0].id]);
  });
});

describe('a message that answers a case', () => {
  it('joins the case named by the [LC…] tag and makes it New again, closed cases included', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const first = created(await ingest(processorId, rawMail({ subject: 'Broken login' })));
    await testDb.db.update(cases).set({ status: 'closed', lastActivityAt: new Date('2024-01-01') }).where(eq(cases.id, first.caseId));

    const reply = await ingest(processorId, rawMail({ subject: `Re: [${formatCaseNumber(first.caseNumber)}] Broken login`, from: 'someone@else.example' }));
    expect(reply).toMatchObject({ kind: 'appended', caseId: first.caseId, caseNumber: first.caseNumber, reason: 'tag' });
    const row = await caseRow(first.caseId);
    expect(row.status).toBe('new');
    expect(row.lastActivityAt.getTime()).toBeGreaterThan(new Date('2024-01-02').getTime());
    const reasons = await testDb.db.select({ reason: caseMessages.threadReason }).from(caseMessages).where(eq(caseMessages.caseId, first.caseId)).orderBy(asc(caseMessages.createdAt));
    expect(reasons.map((r) => r.reason)).toEqual(['new', 'tag']);
  });

  it('opens a new case, with a note, when the tag names a case that does not exist', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const result = created(await ingest(processorId, rawMail({ subject: 'Re: [LC9999999] Old thread' })));
    expect((await caseRow(result.caseId)).notes.join(' ')).toContain('LC9999999, which is not a case');
  });

  it('joins the case of a stored message its In-Reply-To names, without a tag', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const originalId = uniqueMessageId('original');
    const first = created(await ingest(processorId, rawMail({ messageId: originalId, subject: 'Question' })));
    const reply = await ingest(processorId, rawMail({ subject: 'Re: Question', inReplyTo: originalId }));
    expect(reply).toMatchObject({ kind: 'appended', caseId: first.caseId, reason: 'reference' });
  });

  it('joins by References when In-Reply-To names nothing we stored', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const originalId = uniqueMessageId('original');
    const first = created(await ingest(processorId, rawMail({ messageId: originalId })));
    const reply = await ingest(processorId, rawMail({ subject: 'Re: something', inReplyTo: '<unknown@elsewhere.example>', references: `${originalId} <unknown@elsewhere.example>` }));
    expect(reply).toMatchObject({ kind: 'appended', caseId: first.caseId, reason: 'reference' });
  });
});

describe('exactly once per mailbox', () => {
  it('reports the same UID a second time as a duplicate and stores nothing more', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail();
    created(await ingest(processorId, raw, { uid: 42 }));
    expect(await ingest(processorId, raw, { uid: 42 })).toEqual({ kind: 'duplicate', why: 'uid' });
    const [{ value }] = await testDb.db.select({ value: count() }).from(caseMessages).where(eq(caseMessages.processorId, processorId));
    expect(value).toBe(1);
  });

  it('reports the same mail under a new UIDVALIDITY as a duplicate and moves the cursor on', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail();
    created(await ingest(processorId, raw, { uid: 10, uidValidity: 1 }));
    // What the worker's beginSync does when UIDVALIDITY changed.
    await testDb.db.update(emailProcessors).set({ uidValidity: 2, lastUid: 0 }).where(eq(emailProcessors.id, processorId));

    expect(await ingest(processorId, raw, { uid: 3, uidValidity: 2 })).toEqual({ kind: 'duplicate', why: 'same-mail' });
    const [processor] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
    expect(processor).toMatchObject({ uidValidity: 2, lastUid: 3 });
    const stored = await testDb.db.select({ id: rawMessages.id }).from(rawMessages).where(eq(rawMessages.processorId, processorId));
    expect(stored).toHaveLength(1);
  });

  it('advances the cursor, never backwards, counts import progress and records the success time', async () => {
    const { processorId } = await createMailbox(testDb.db, { uidValidity: null });
    const now = new Date('2025-05-05T05:05:05Z');
    await ingestMessage({ db: testDb.db, processorId, uidValidity: 77, uid: 5, raw: rawMail(), isImport: true, now });
    await ingestMessage({ db: testDb.db, processorId, uidValidity: 77, uid: 3, raw: rawMail(), isImport: true, now });
    await ingestMessage({ db: testDb.db, processorId, uidValidity: 77, uid: 3, raw: rawMail(), isImport: true, now });
    const [processor] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
    expect(processor).toMatchObject({ uidValidity: 77, lastUid: 5, importDone: 2, lastSuccessAt: now });
  });

  it('refuses a session whose UIDVALIDITY is not the mailbox cursor’s, writing nothing', async () => {
    const { processorId } = await createMailbox(testDb.db, { uidValidity: 5 });
    const attempt = ingest(processorId, rawMail(), { uid: 1, uidValidity: 4 });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT' });
    const stored = await testDb.db.select({ id: rawMessages.id }).from(rawMessages).where(eq(rawMessages.processorId, processorId));
    expect(stored).toEqual([]);
  });
});
