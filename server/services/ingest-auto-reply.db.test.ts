// Auto-replies through the ingest path: queued in the outbox with the case, never for imports, automatic
// mail or over the per-sender limit, and an answer to one threads back by its Message-ID.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail, uniqueMessageId } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { caseMessages, outbox } from '../db/schema';
import { resetEnvForTests } from '../env';
import { findCaseTags } from '../domain/case-tag';
import { normalizeMessageId } from '../domain/message-id';
import { type IngestResult, ingestMessage } from './ingest';

let testDb: TestDatabase;

// Not the default (3), so the test shows the limit is read from the environment.
const MAX_PER_SENDER_PER_HOUR = 2;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  process.env.AUTO_REPLY_MAX_PER_SENDER_PER_HOUR = String(MAX_PER_SENDER_PER_HOUR);
  resetEnvForTests();
  await seedCatalog(testDb.db);
});

afterAll(() => testDb?.drop());

let nextUid = 1;
function ingest(processorId: string, raw: Buffer, isImport = false, uid = nextUid++) {
  return ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid, raw, isImport });
}

function created(result: IngestResult) {
  if (result.kind !== 'created') throw new Error(`expected a new case, got ${JSON.stringify(result)}`);
  return result;
}

const outboxOf = (caseId: string) => testDb.db.select().from(outbox).where(eq(outbox.caseId, caseId));
const outboxTo = (address: string) => testDb.db.select().from(outbox).where(eq(outbox.toAddress, address));

describe('auto-reply to the sender of a new case', () => {
  it('queues exactly one reply with the case tag, Auto-Submitted and In-Reply-To, from the mailbox', async () => {
    const { processorId, emailAddress } = await createMailbox(testDb.db, { autoReply: true, name: 'Acme Help' });
    const originalId = uniqueMessageId('first');
    const result = created(await ingest(processorId, rawMail({ from: 'Ann Reader <ann@customer.example>', messageId: originalId, subject: 'Where is my parcel?' })));
    expect(result.autoReplyQueued).toBe(true);

    const rows = await outboxOf(result.caseId);
    expect(rows).toHaveLength(1);
    const [reply] = rows;
    expect(reply).toMatchObject({
      kind: 'auto_reply',
      status: 'pending',
      processorId,
      fromAddress: emailAddress,
      fromName: 'Acme Help',
      toAddress: 'ann@customer.example',
      toName: 'Ann Reader',
      idempotencyKey: `auto-reply:${result.caseId}`,
    });
    expect(findCaseTags(reply.subject)).toEqual([result.caseNumber]);
    expect(reply.subject).toContain('Where is my parcel?');
    expect(reply.headers['Auto-Submitted']).toBe('auto-replied');
    expect(reply.headers['In-Reply-To']).toBe(originalId);
    expect(reply.messageId).toBe(normalizeMessageId(reply.headers['Message-ID']));
  });

  it('stores the reply as an outbound message of the case, so it shows in the thread', async () => {
    const { processorId } = await createMailbox(testDb.db, { autoReply: true });
    const result = created(await ingest(processorId, rawMail({ from: 'bea@customer.example' })));
    const [reply] = await outboxOf(result.caseId);
    const outbound = await testDb.db
      .select()
      .from(caseMessages)
      .where(and(eq(caseMessages.caseId, result.caseId), eq(caseMessages.direction, 'outbound')));
    expect(outbound).toHaveLength(1);
    expect(outbound[0]).toMatchObject({ messageId: reply.messageId, subject: reply.subject, sentAt: null });
  });

  it('threads an answer to the auto-reply into the case by its Message-ID, even without the tag', async () => {
    const { processorId } = await createMailbox(testDb.db, { autoReply: true });
    const result = created(await ingest(processorId, rawMail({ from: 'cid@customer.example', subject: 'Refund' })));
    const [reply] = await outboxOf(result.caseId);
    const answer = await ingest(processorId, rawMail({ from: 'cid@customer.example', subject: 'Re: Refund', inReplyTo: `<${reply.messageId}>` }));
    expect(answer).toMatchObject({ kind: 'appended', caseId: result.caseId, reason: 'reference' });
    // An answer adds to the case; it gets no auto-reply of its own.
    expect(await outboxOf(result.caseId)).toHaveLength(1);
  });

  it('queues nothing for mail read during the import, whether flagged or below the import UID', async () => {
    const { processorId } = await createMailbox(testDb.db, { autoReply: true, importUntilUid: 100 });
    const flagged = created(await ingest(processorId, rawMail({ from: 'dan@customer.example' }), true, 500));
    const belowImportUid = created(await ingest(processorId, rawMail({ from: 'dan@customer.example' }), false, 99));
    expect(flagged).toMatchObject({ autoReplyQueued: false, autoReplySkip: 'initial_import' });
    expect(belowImportUid).toMatchObject({ autoReplyQueued: false, autoReplySkip: 'initial_import' });
    expect(await outboxTo('dan@customer.example')).toEqual([]);
  });

  it('queues nothing for mail that says it was sent automatically', async () => {
    const { processorId } = await createMailbox(testDb.db, { autoReply: true });
    const result = created(await ingest(processorId, rawMail({ from: 'eve@customer.example', headers: [['Auto-Submitted', 'auto-replied']] })));
    expect(result).toMatchObject({ autoReplyQueued: false, autoReplySkip: 'auto_submitted' });
    expect(await outboxOf(result.caseId)).toEqual([]);
  });

  it('queues nothing when the mailbox has auto reply turned off', async () => {
    const { processorId } = await createMailbox(testDb.db, { autoReply: false });
    const result = created(await ingest(processorId, rawMail({ from: 'fay@customer.example' })));
    expect(result.autoReplySkip).toBe('auto_reply_off');
    expect(await outboxOf(result.caseId)).toEqual([]);
  });

  it("queues nothing for mail from another of our own mailboxes", async () => {
    const other = await createMailbox(testDb.db);
    const { processorId } = await createMailbox(testDb.db, { autoReply: true });
    const result = created(await ingest(processorId, rawMail({ from: `Other desk <${other.emailAddress.toUpperCase()}>` })));
    expect(result.autoReplySkip).toBe('own_address');
  });

  it('stops at AUTO_REPLY_MAX_PER_SENDER_PER_HOUR replies to one sender, across mailboxes', async () => {
    const a = await createMailbox(testDb.db, { autoReply: true });
    const b = await createMailbox(testDb.db, { autoReply: true });
    const results: IngestResult[] = [];
    for (const processorId of [a.processorId, b.processorId, a.processorId]) {
      results.push(await ingest(processorId, rawMail({ from: 'Gus <GUS@customer.example>' })));
    }
    expect(results.map((r) => created(r).autoReplyQueued)).toEqual([true, true, false]);
    expect(created(results[2]).autoReplySkip).toBe('rate_limited');
    expect(await outboxTo('GUS@customer.example')).toHaveLength(MAX_PER_SENDER_PER_HOUR);
  });

  it('replies again once the last hour holds fewer replies than the limit', async () => {
    const { processorId } = await createMailbox(testDb.db, { autoReply: true });
    const from = 'hal@customer.example';
    const hourAgo = new Date(Date.now() - 61 * 60 * 1000);
    for (let i = 0; i < MAX_PER_SENDER_PER_HOUR; i++) {
      await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: nextUid++, raw: rawMail({ from }), isImport: false, now: hourAgo });
    }
    expect(await outboxTo(from)).toHaveLength(MAX_PER_SENDER_PER_HOUR);
    expect(created(await ingest(processorId, rawMail({ from }))).autoReplyQueued).toBe(true);
    expect(await outboxTo(from)).toHaveLength(MAX_PER_SENDER_PER_HOUR + 1);
  });
});
