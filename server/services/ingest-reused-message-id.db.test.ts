// Regression: a mail whose Message-ID this mailbox had already stored was skipped as a duplicate, with no raw
// copy and no quarantine entry, even when it was a different mail (senders and broken mailers reuse
// Message-IDs; 21 of the 41 chatwoot corpus mails were skipped this way). Now only the same mail again (same
// Message-ID and the same bytes, server/services/same-mail.ts) is a duplicate.
import { asc, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail, uniqueMessageId } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { caseMessages, cases, emailProcessors, quarantine, rawMessages } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import { type IngestResult, ingestBatch, ingestMessage } from './ingest';
import { retryQuarantined } from './quarantine';
import { rawSha256 } from './same-mail';

let testDb: TestDatabase;
let admin: { id: string; email: string };

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  const catalog = await seedCatalog(testDb.db);
  admin = { id: catalog.users.manager, email: 'manager@acme.example' };
});

afterAll(() => testDb?.drop());

function ingest(processorId: string, raw: Buffer, uid: number, uidValidity = 1) {
  return ingestMessage({ db: testDb.db, processorId, uidValidity, uid, raw, isImport: false });
}

function stored(result: IngestResult) {
  if (result.kind !== 'created' && result.kind !== 'appended') throw new Error(`expected a case message, got ${JSON.stringify(result)}`);
  return result;
}

async function inboundOf(processorId: string) {
  return testDb.db
    .select({ id: caseMessages.id, caseId: caseMessages.caseId, subject: caseMessages.subject, threadNote: caseMessages.threadNote })
    .from(caseMessages)
    .where(eq(caseMessages.processorId, processorId))
    .orderBy(asc(caseMessages.createdAt));
}

async function countOf(table: typeof rawMessages | typeof quarantine, processorId: string) {
  const [{ value }] = await testDb.db.select({ value: count() }).from(table).where(eq(table.processorId, processorId));
  return value;
}

/** Two different mails that carry one Message-ID, as a template-driven mailer sends them. */
function twoMailsOneId() {
  const messageId = uniqueMessageId('reused');
  return {
    messageId,
    first: rawMail({ messageId, subject: 'Order 1001 shipped', body: 'Your order 1001 is on its way.' }),
    second: rawMail({ messageId, subject: 'Order 1002 shipped', body: 'Your order 1002 is on its way.' }),
  };
}

describe('two different mails with the same Message-ID in one mailbox', () => {
  it('stores both as case messages, quarantines nothing, and notes the reuse on the second', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const { first, second } = twoMailsOneId();
    const one = stored(await ingest(processorId, first, 1));
    const two = stored(await ingest(processorId, second, 2));

    expect(two.kind).toBe('created');
    expect(two.caseId).not.toBe(one.caseId);
    const messages = await inboundOf(processorId);
    expect(messages.map((m) => m.subject)).toEqual(['Order 1001 shipped', 'Order 1002 shipped']);
    const note = `Its Message-ID was already used by a different message in this mailbox (in ${formatCaseNumber(one.caseNumber)}); both are kept.`;
    expect(messages.map((m) => m.threadNote)).toEqual([null, note]);
    const [secondCase] = await testDb.db.select().from(cases).where(eq(cases.id, two.caseId));
    expect(secondCase.notes).toContain(note);
    expect(await countOf(rawMessages, processorId)).toBe(2);
    expect(await countOf(quarantine, processorId)).toBe(0);
  });

  it('stores both when they arrive in one batch', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const { first, second } = twoMailsOneId();
    const results = await ingestBatch({
      db: testDb.db,
      processorId,
      uidValidity: 1,
      messages: [
        { uid: 1, raw: first, isImport: true },
        { uid: 2, raw: second, isImport: true },
      ],
    });
    expect(results.map((r) => r.kind)).toEqual(['created', 'created']);
    expect(await inboundOf(processorId)).toHaveLength(2);
  });

  it('joins a reply naming that Message-ID to the oldest of their cases', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const { messageId, first, second } = twoMailsOneId();
    const one = stored(await ingest(processorId, first, 1));
    stored(await ingest(processorId, second, 2));
    const reply = await ingest(processorId, rawMail({ subject: 'Re: Order shipped', inReplyTo: messageId, references: messageId }), 3);
    expect(reply).toMatchObject({ kind: 'appended', caseId: one.caseId, reason: 'reference' });
  });

  it('takes a quarantined one in on retry, instead of resolving it to the other mail', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const { first, second } = twoMailsOneId();
    const [{ n }] = await testDb.sql<{ n: string }[]>`select nextval('case_number_seq')::text as n`;
    await testDb.sql.unsafe(`alter sequence case_number_seq maxvalue ${n}`);
    let held: IngestResult;
    try {
      held = await ingest(processorId, first, 1);
    } finally {
      await testDb.sql.unsafe('alter sequence case_number_seq no maxvalue');
    }
    if (held.kind !== 'quarantined') throw new Error(`expected quarantine, got ${JSON.stringify(held)}`);
    const other = stored(await ingest(processorId, second, 2));

    const retried = stored(await retryQuarantined({ db: testDb.db, quarantineId: held.quarantineId, actor: admin }));
    expect(retried.caseMessageId).not.toBe(other.caseMessageId);
    expect((await inboundOf(processorId)).map((m) => m.subject)).toEqual(['Order 1002 shipped', 'Order 1001 shipped']);
  });
});

describe('the same mail seen again under another UID', () => {
  it('is a duplicate after a UIDVALIDITY change, even when its Message-ID names two mails', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const { first, second } = twoMailsOneId();
    stored(await ingest(processorId, first, 10));
    stored(await ingest(processorId, second, 11));
    // What the worker's beginSync does when UIDVALIDITY changed; the server hands back the same bytes.
    await testDb.db.update(emailProcessors).set({ uidValidity: 2, lastUid: 0 }).where(eq(emailProcessors.id, processorId));

    expect(await ingest(processorId, first, 1, 2)).toEqual({ kind: 'duplicate', why: 'same-mail' });
    expect(await ingest(processorId, second, 2, 2)).toEqual({ kind: 'duplicate', why: 'same-mail' });
    expect(await inboundOf(processorId)).toHaveLength(2);
    expect(await countOf(rawMessages, processorId)).toBe(2);
    expect(await countOf(quarantine, processorId)).toBe(0);
  });

  it('is a duplicate when copied back into the mailbox under a new UID of the same UIDVALIDITY', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail();
    stored(await ingest(processorId, raw, 20));
    expect(await ingest(processorId, raw, 21)).toEqual({ kind: 'duplicate', why: 'same-mail' });
    expect(await inboundOf(processorId)).toHaveLength(1);
    expect(await countOf(rawMessages, processorId)).toBe(1);
  });

  it('is found by the SHA-256 Postgres stores for the raw bytes', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail({ body: 'Ünïcode and\r\nCRLF, byte for byte.' });
    stored(await ingest(processorId, raw, 30));
    const [row] = await testDb.db.select({ sha256: rawMessages.sha256 }).from(rawMessages).where(eq(rawMessages.processorId, processorId));
    expect(row.sha256).toBe(rawSha256(raw));
  });

  it('is not a duplicate when it has no Message-ID: identical notifications are both kept', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail({ messageId: null, date: null, subject: 'Disk almost full' });
    stored(await ingest(processorId, raw, 40));
    stored(await ingest(processorId, raw, 41));
    expect(await inboundOf(processorId)).toHaveLength(2);
  });
});
