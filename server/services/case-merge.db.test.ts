// Merge, undo, split and move against real Postgres, with mail arriving through the real intake
// (ingestMessage): every message is in exactly one case before and after, and threading by tag and by
// reference follows the messages to where they live now.
import { and, count, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAttachment } from '../../test/harness/case-fixtures';
import { type Catalog, createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail, uniqueMessageId } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { attachments, auditLog, caseDrafts, caseMessages, cases, outbox, replyUploads } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import { normalizeMessageId } from '../domain/message-id';
import { AppError } from '../errors';
import { getCaseMergeInfo, mergeCase, moveMessage, splitCase, undoMerge } from './case-merge';
import { replyDefaults } from './case-replies';
import { getCaseHeader, listCases } from './cases';
import { type IngestResult, ingestMessage } from './ingest';

let testDb: TestDatabase;
let catalog: Catalog;
let processorId: string;
let actor: { id: string; email: string };

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  catalog = await seedCatalog(testDb.db);
  actor = { id: catalog.users.agent, email: 'agent@acme.example' };
  ({ processorId } = await createMailbox(testDb.db));
});

afterAll(() => testDb?.drop());

let nextUid = 1;
async function ingest(raw: Buffer): Promise<Extract<IngestResult, { kind: 'created' | 'appended' }>> {
  const result = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: nextUid++, raw, isImport: false });
  if (result.kind !== 'created' && result.kind !== 'appended') throw new Error(`expected a stored message, got ${JSON.stringify(result)}`);
  return result;
}

/** A case opened by mail, with `replies` more messages joined by tag; the Message-IDs in thread order. */
async function caseWithMail(subject: string, replies = 1) {
  const ids = [uniqueMessageId('first')];
  const first = await ingest(rawMail({ subject, messageId: ids[0] }));
  if (first.kind !== 'created') throw new Error('expected a new case');
  const tag = `[${formatCaseNumber(first.caseNumber)}]`;
  for (let i = 0; i < replies; i++) {
    const id = uniqueMessageId('reply');
    ids.push(id);
    await ingest(rawMail({ subject: `Re: ${tag} ${subject}`, messageId: id }));
  }
  return { caseId: first.caseId, number: first.caseNumber, tag, messageIds: ids };
}

async function messagesOf(caseId: string): Promise<string[]> {
  return (await testDb.db.select({ id: caseMessages.id }).from(caseMessages).where(eq(caseMessages.caseId, caseId)).orderBy(caseMessages.createdAt, caseMessages.id)).map(
    (m) => m.id,
  );
}

async function caseOfMessageId(messageId: string): Promise<string> {
  const [row] = await testDb.db.select({ caseId: caseMessages.caseId }).from(caseMessages).where(eq(caseMessages.messageId, normalizeMessageId(messageId)!));
  return row!.caseId;
}

/** Every case message id of these cases, each case's list, and the number of rows in all. */
async function census(caseIds: string[]) {
  const rows = await testDb.db.select({ id: caseMessages.id, caseId: caseMessages.caseId }).from(caseMessages).where(inArray(caseMessages.caseId, caseIds));
  return { total: rows.length, distinct: new Set(rows.map((r) => r.id)).size, ids: new Set(rows.map((r) => r.id)) };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('merging a case into another', () => {
  it('moves its messages, attachments and outbound mail to the target, keeping every message exactly once and in order', async () => {
    const a = await caseWithMail('Invoice missing', 2);
    const b = await caseWithMail('Where is my invoice', 1);
    const [firstOfA] = await messagesOf(a.caseId);
    await insertAttachment(testDb.db, { caseMessageId: firstOfA!, filename: 'scan.pdf', content: Buffer.from('%PDF') });
    const [reply] = await testDb.db
      .insert(caseMessages)
      .values({ caseId: a.caseId, direction: 'outbound', threadReason: 'tag', messageId: uniqueMessageId('ours'), subject: `${a.tag} Re: Invoice missing` })
      .returning();
    await testDb.db.insert(outbox).values({
      kind: 'reply',
      caseId: a.caseId,
      caseMessageId: reply!.id,
      fromAddress: 'support@acme.example',
      toAddress: 'jane@customer.example',
      subject: reply!.subject,
      textBody: 'We are on it.',
      idempotencyKey: `test:${reply!.id}`,
      status: 'sent',
    });
    const before = await census([a.caseId, b.caseId]);
    expect(before.total).toBe(6);

    const result = await mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number });

    expect(result).toMatchObject({ sourceNumber: formatCaseNumber(a.number), targetNumber: formatCaseNumber(b.number), messagesMoved: 4 });
    const after = await census([a.caseId, b.caseId]);
    expect(after).toEqual(before);
    expect(await messagesOf(a.caseId)).toEqual([]);
    const targetThread = await testDb.db.select().from(caseMessages).where(eq(caseMessages.caseId, b.caseId)).orderBy(caseMessages.createdAt, caseMessages.id);
    // Both conversations interleave in the order the messages came.
    expect(targetThread.map((m) => m.createdAt.getTime())).toEqual([...targetThread.map((m) => m.createdAt.getTime())].sort((x, y) => x - y));
    const [{ value: files }] = await testDb.db
      .select({ value: count() })
      .from(attachments)
      .innerJoin(caseMessages, eq(caseMessages.id, attachments.caseMessageId))
      .where(eq(caseMessages.caseId, b.caseId));
    expect(files).toBe(1);
    const [mail] = await testDb.db.select({ caseId: outbox.caseId }).from(outbox).where(eq(outbox.caseMessageId, reply!.id));
    expect(mail!.caseId).toBe(b.caseId);

    const header = await getCaseHeader({ db: testDb.db, number: a.number });
    expect(header.mergedInto).toEqual({ caseNumber: formatCaseNumber(b.number), number: b.number });
    const list = await listCases({ db: testDb.db, viewerId: actor.id, limit: 100 });
    expect(list.items.map((c) => c.id)).not.toContain(a.caseId);
    expect(list.items.map((c) => c.id)).toContain(b.caseId);
    const [audit] = await testDb.db.select().from(auditLog).where(and(eq(auditLog.action, 'case.merged'), eq(auditLog.entityId, a.caseId)));
    expect(audit!.details).toMatchObject({ into: formatCaseNumber(b.number), messages: 4 });
  });

  it("sends later mail with the merged case's tag to the target, and a reply to one of its messages too", async () => {
    const a = await caseWithMail('Broken login', 1);
    const b = await caseWithMail('Cannot sign in', 0);
    await mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number });

    const tagged = await ingest(rawMail({ subject: `Re: ${a.tag} Broken login`, messageId: uniqueMessageId('late') }));
    expect(tagged).toMatchObject({ kind: 'appended', caseId: b.caseId, reason: 'tag' });
    const [joined] = await testDb.db.select({ threadNote: caseMessages.threadNote }).from(caseMessages).where(eq(caseMessages.id, tagged.caseMessageId));
    expect(joined!.threadNote).toBe(`${formatCaseNumber(a.number)} was merged into ${formatCaseNumber(b.number)}.`);

    const referenced = await ingest(rawMail({ subject: 'Re: Broken login', inReplyTo: a.messageIds[0], messageId: uniqueMessageId('late') }));
    expect(referenced).toMatchObject({ kind: 'appended', caseId: b.caseId, reason: 'reference' });
    expect(await messagesOf(a.caseId)).toEqual([]);
  });

  it('follows a chain of merges: a tag of a case merged into a case that was merged on goes to the last one', async () => {
    const a = await caseWithMail('Chain one', 0);
    const b = await caseWithMail('Chain two', 0);
    const c = await caseWithMail('Chain three', 0);
    await mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number });
    await mergeCase({ db: testDb.db, actor, sourceCaseId: b.caseId, targetNumber: c.number });

    const result = await ingest(rawMail({ subject: `Re: ${a.tag} Chain one`, messageId: uniqueMessageId('chain') }));
    expect(result).toMatchObject({ kind: 'appended', caseId: c.caseId, reason: 'tag' });
    const [joined] = await testDb.db.select({ threadNote: caseMessages.threadNote }).from(caseMessages).where(eq(caseMessages.id, result.caseMessageId));
    expect(joined!.threadNote).toBe(`${formatCaseNumber(a.number)} was merged into ${formatCaseNumber(c.number)}.`);
    expect((await census([a.caseId, b.caseId, c.caseId])).total).toBe(4);
    expect(await messagesOf(c.caseId)).toHaveLength(4);
  });

  it('refuses a merge into itself, into a merged case, and of a merged case, in the agent\'s words', async () => {
    const a = await caseWithMail('Refusals one', 0);
    const b = await caseWithMail('Refusals two', 0);
    const c = await caseWithMail('Refusals three', 0);
    expect((await refusal(mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: a.number }))).message).toBe('A case cannot be merged into itself.');
    await mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number });
    expect((await refusal(mergeCase({ db: testDb.db, actor, sourceCaseId: c.caseId, targetNumber: a.number }))).message).toBe(
      `${formatCaseNumber(a.number)} was merged into ${formatCaseNumber(b.number)}: merge into ${formatCaseNumber(b.number)} instead.`,
    );
    expect((await refusal(mergeCase({ db: testDb.db, actor, sourceCaseId: c.caseId, targetNumber: 99_999_999 }))).code).toBe('NOT_FOUND');
  });

  it("takes an agent's unsent draft and its file along, unless the agent already writes on the target", async () => {
    const a = await caseWithMail('Draft here', 0);
    const b = await caseWithMail('Draft there', 0);
    await testDb.db.insert(caseDrafts).values([
      { userId: catalog.users.agent, caseId: a.caseId, bodyText: 'Half a reply', subject: `${a.tag} Re: Draft here` },
      { userId: catalog.users.manager, caseId: a.caseId, bodyText: 'Manager on the merged case' },
      { userId: catalog.users.manager, caseId: b.caseId, bodyText: 'Manager on the target' },
    ]);
    await testDb.db.insert(replyUploads).values({ caseId: a.caseId, uploaderId: catalog.users.agent, filename: 'photo.jpg', size: 3, content: Buffer.from('jpg') });

    await mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number });

    const drafts = await testDb.db.select({ userId: caseDrafts.userId, caseId: caseDrafts.caseId, bodyText: caseDrafts.bodyText }).from(caseDrafts).where(inArray(caseDrafts.caseId, [a.caseId, b.caseId]));
    expect(drafts).toEqual(
      expect.arrayContaining([
        { userId: catalog.users.agent, caseId: b.caseId, bodyText: 'Half a reply' },
        { userId: catalog.users.manager, caseId: b.caseId, bodyText: 'Manager on the target' },
        { userId: catalog.users.manager, caseId: a.caseId, bodyText: 'Manager on the merged case' },
      ]),
    );
    const [upload] = await testDb.db.select({ caseId: replyUploads.caseId }).from(replyUploads).where(eq(replyUploads.uploaderId, catalog.users.agent));
    expect(upload!.caseId).toBe(b.caseId);
  });
});

describe('undoing a merge', () => {
  it('puts every message back where it was while nothing new arrived in the target', async () => {
    const a = await caseWithMail('Undo me', 1);
    const b = await caseWithMail('Keep me', 1);
    const aBefore = await messagesOf(a.caseId);
    const bBefore = await messagesOf(b.caseId);
    const [statusBefore] = await testDb.db.select({ status: cases.status, contactId: cases.contactId }).from(cases).where(eq(cases.id, a.caseId));
    await mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number });
    const info = await getCaseMergeInfo({ db: testDb.db, caseId: b.caseId });
    expect(info.mergedHere).toEqual([expect.objectContaining({ caseNumber: formatCaseNumber(a.number), undo: { ok: true } })]);

    await undoMerge({ db: testDb.db, actor, caseId: a.caseId });

    expect(await messagesOf(a.caseId)).toEqual(aBefore);
    expect(await messagesOf(b.caseId)).toEqual(bBefore);
    const [restored] = await testDb.db.select().from(cases).where(eq(cases.id, a.caseId));
    expect(restored).toMatchObject({ mergedIntoId: null, status: statusBefore!.status, contactId: statusBefore!.contactId });
    // The tag works for the case itself again.
    expect(await ingest(rawMail({ subject: `Re: ${a.tag} Undo me`, messageId: uniqueMessageId('back') }))).toMatchObject({ caseId: a.caseId, reason: 'tag' });
  });

  it('is refused once a new message arrived in the target, and the messages stay in the target', async () => {
    const a = await caseWithMail('Too late one', 0);
    const b = await caseWithMail('Too late two', 0);
    await mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number });
    await ingest(rawMail({ subject: `Re: ${b.tag} Too late two`, messageId: uniqueMessageId('new') }));

    const error = await refusal(undoMerge({ db: testDb.db, actor, caseId: a.caseId }));
    expect(error.message).toBe('Something new arrived in the case since the merge, so it can no longer be undone.');
    expect(await messagesOf(a.caseId)).toEqual([]);
    expect(await messagesOf(b.caseId)).toHaveLength(3);
    const info = await getCaseMergeInfo({ db: testDb.db, caseId: a.caseId });
    expect(info.mergedInto).toMatchObject({ caseNumber: formatCaseNumber(b.number), undo: { ok: false } });
  });

  it('is refused when the target was merged on, until that merge is undone', async () => {
    const a = await caseWithMail('Nested one', 0);
    const b = await caseWithMail('Nested two', 0);
    const c = await caseWithMail('Nested three', 0);
    await mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number });
    await mergeCase({ db: testDb.db, actor, sourceCaseId: b.caseId, targetNumber: c.number });
    await refusal(undoMerge({ db: testDb.db, actor, caseId: a.caseId }));
    await undoMerge({ db: testDb.db, actor, caseId: b.caseId });
    await undoMerge({ db: testDb.db, actor, caseId: a.caseId });
    expect(await messagesOf(a.caseId)).toHaveLength(1);
    expect(await messagesOf(b.caseId)).toHaveLength(1);
    expect(await messagesOf(c.caseId)).toHaveLength(1);
  });
});

describe('two agents at once', () => {
  it('two merges into the same case at the same moment lose no message', async () => {
    const a = await caseWithMail('Parallel one', 3);
    const b = await caseWithMail('Parallel two', 3);
    const c = await caseWithMail('Parallel three', 1);
    const before = await census([a.caseId, b.caseId, c.caseId]);

    await Promise.all([
      mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: c.number }),
      mergeCase({ db: testDb.db, actor, sourceCaseId: b.caseId, targetNumber: c.number }),
    ]);

    expect(await census([a.caseId, b.caseId, c.caseId])).toEqual(before);
    expect(new Set(await messagesOf(c.caseId))).toEqual(before.ids);
  });

  it('crossed merges (A into B while B into A) leave one case with every message, and refuse the other', async () => {
    const a = await caseWithMail('Crossed one', 2);
    const b = await caseWithMail('Crossed two', 2);
    const before = await census([a.caseId, b.caseId]);

    const outcomes = await Promise.allSettled([
      mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number }),
      mergeCase({ db: testDb.db, actor, sourceCaseId: b.caseId, targetNumber: a.number }),
    ]);

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(AppError);
    expect(await census([a.caseId, b.caseId])).toEqual(before);
    const sizes = [(await messagesOf(a.caseId)).length, (await messagesOf(b.caseId)).length].sort();
    expect(sizes).toEqual([0, 6]);
  });

  // Mail of the case's own mailbox waits for the merge on the mailbox's row; mail for it that reaches
  // another mailbox (the customer wrote to both) does not, and may have chosen the case just before the
  // merge: the follow-merge trigger sends it on (without it, this failed in 6 of 8 runs).
  it('mail arriving for a case through another mailbox while it is merged lands in the target, never left in the merged case', async () => {
    const other = (await createMailbox(testDb.db)).processorId;
    for (let round = 0; round < 3; round++) {
      const a = await caseWithMail('Racing mail one', 0);
      const b = await caseWithMail('Racing mail two', 0);
      const arrivals = Array.from({ length: 5 }, () => rawMail({ subject: `Re: ${a.tag} Racing mail one`, messageId: uniqueMessageId('race') }));

      await Promise.all([
        mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number }),
        ...arrivals.map((raw) => ingestMessage({ db: testDb.db, processorId: other, uidValidity: 1, uid: nextUid++, raw, isImport: false })),
      ]);

      expect(await messagesOf(a.caseId)).toEqual([]);
      expect(await messagesOf(b.caseId)).toHaveLength(7);
    }
  });

  it('mail of the merged case\'s own mailbox arriving during the merge lands in the target', async () => {
    const a = await caseWithMail('Racing mail three', 0);
    const b = await caseWithMail('Racing mail four', 0);
    const arrivals = Array.from({ length: 5 }, () => rawMail({ subject: `Re: ${a.tag} Racing mail three`, messageId: uniqueMessageId('race') }));

    await Promise.all([mergeCase({ db: testDb.db, actor, sourceCaseId: a.caseId, targetNumber: b.number }), ...arrivals.map((raw) => ingest(raw))]);

    expect(await messagesOf(a.caseId)).toEqual([]);
    expect(await messagesOf(b.caseId)).toHaveLength(7);
  });
});

describe('splitting and moving messages', () => {
  it('splits a message and the ones after it into a new case; references and replies follow them there', async () => {
    const a = await caseWithMail('Two questions', 3);
    const thread = await messagesOf(a.caseId);
    const before = await census([a.caseId]);

    const split = await splitCase({ db: testDb.db, actor, messageId: thread[2]!, withFollowing: true });

    const [created] = await testDb.db.select().from(cases).where(eq(cases.number, split.number));
    expect(split.messagesMoved).toBe(2);
    expect(await messagesOf(created!.id)).toEqual(thread.slice(2));
    expect(await messagesOf(a.caseId)).toEqual(thread.slice(0, 2));
    const after = await census([a.caseId, created!.id]);
    expect(after).toEqual(before);
    expect(created).toMatchObject({ subject: 'Re: Two questions', processorId, notes: [`Split from ${formatCaseNumber(a.number)}.`] });

    // The customer answers the third message: the answer goes where that message lives now.
    const answer = await ingest(rawMail({ subject: 'Re: Two questions', inReplyTo: a.messageIds[2], messageId: uniqueMessageId('answer') }));
    expect(answer).toMatchObject({ kind: 'appended', caseId: created!.id, reason: 'reference' });
    // An answer to a message that stayed goes to the old case.
    const other = await ingest(rawMail({ subject: 'Re: Two questions', inReplyTo: a.messageIds[1], messageId: uniqueMessageId('answer') }));
    expect(other).toMatchObject({ caseId: a.caseId, reason: 'reference' });

    // A reply composed now answers from the new case, with its tag.
    const defaults = await replyDefaults({ db: testDb.db, caseId: created!.id, messageId: thread[2]! });
    expect(defaults.inReplyToMessageId).toBe(thread[2]);
    expect(defaults.subject).toBe(`[${split.caseNumber}] Re: Two questions`);
    expect((await refusal(replyDefaults({ db: testDb.db, caseId: a.caseId, messageId: thread[2]! }))).code).toBe('NOT_FOUND');
  });

  it('splits a single message without the ones after it', async () => {
    const a = await caseWithMail('Single split', 3);
    const thread = await messagesOf(a.caseId);
    const split = await splitCase({ db: testDb.db, actor, messageId: thread[1]!, withFollowing: false });
    const [created] = await testDb.db.select({ id: cases.id }).from(cases).where(eq(cases.number, split.number));
    expect(await messagesOf(created!.id)).toEqual([thread[1]]);
    expect(await messagesOf(a.caseId)).toEqual([thread[0], thread[2], thread[3]]);
  });

  it('refuses a split that would take every message', async () => {
    const a = await caseWithMail('Whole split', 1);
    const thread = await messagesOf(a.caseId);
    const error = await refusal(splitCase({ db: testDb.db, actor, messageId: thread[0]!, withFollowing: true }));
    expect(error.message).toBe('That would take every message of the case; merge the case instead.');
    expect(await messagesOf(a.caseId)).toEqual(thread);
  });

  it('moves one message to another case; an answer to it follows it, the old tag still names the old case', async () => {
    const a = await caseWithMail('Mixed up', 2);
    const b = await caseWithMail('Right place', 0);
    const thread = await messagesOf(a.caseId);
    const before = await census([a.caseId, b.caseId]);

    await moveMessage({ db: testDb.db, actor, messageId: thread[1]!, targetNumber: b.number });

    expect(await census([a.caseId, b.caseId])).toEqual(before);
    expect(await caseOfMessageId(a.messageIds[1]!)).toBe(b.caseId);
    const answer = await ingest(rawMail({ subject: 'Re: Mixed up', references: `${a.messageIds[0]} ${a.messageIds[1]}`, messageId: uniqueMessageId('answer') }));
    expect(answer).toMatchObject({ caseId: b.caseId, reason: 'reference' });
    const tagged = await ingest(rawMail({ subject: `Re: ${a.tag} Mixed up`, messageId: uniqueMessageId('answer') }));
    expect(tagged).toMatchObject({ caseId: a.caseId, reason: 'tag' });
  });

  it('two agents moving the same message at once move it once', async () => {
    const a = await caseWithMail('Contested', 2);
    const b = await caseWithMail('Contested b', 0);
    const c = await caseWithMail('Contested c', 0);
    const thread = await messagesOf(a.caseId);
    const before = await census([a.caseId, b.caseId, c.caseId]);
    const outcomes = await Promise.allSettled([
      moveMessage({ db: testDb.db, actor, messageId: thread[1]!, targetNumber: b.number }),
      moveMessage({ db: testDb.db, actor, messageId: thread[1]!, targetNumber: c.number }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await census([a.caseId, b.caseId, c.caseId])).toEqual(before);
    expect((await messagesOf(b.caseId)).length + (await messagesOf(c.caseId)).length).toBe(3);
  });
});
