// Case work that moves messages between cases: merge a case into another (and undo it), split messages
// out into a new case, move one message to another case. The rules are in server/domain/case-merge.ts.
//
// Each action is one transaction that locks the cases it touches (FOR UPDATE, in id order, so two agents
// merging at once wait for each other instead of deadlocking), re-reads them under the lock, moves the
// rows, records what moved in case_moves, writes the audit row and NOTIFYs case.updated / case.created for
// every case involved, so colleagues' open pages follow. Messages keep their created_at, so a merged thread
// interleaves both conversations in the order they happened. Attachments belong to their message and move
// with it; outbox rows (delivery state, retries) follow their message's case; unsent drafts follow a merge.
//
// Mail arriving at the same moment: the intake locks the case it writes into (the search trigger, and the
// foreign key check), so it either commits before a merge takes the lock (and its message moves with the
// others) or waits and then follows the merge (a trigger on case_messages sends a message written into a
// merged case on to where it was merged, drizzle/migrations/0019_case_merge_follow.sql).
import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database, DbOrTx, Transaction } from '../db/client';
import { caseDrafts, caseMessages, caseMoves, cases, outbox, replyUploads } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import {
  canUndoMerge,
  checkMerge,
  checkMoveMessage,
  chooseSplitMessages,
  finalCaseOf,
  type MergeSide,
  splitCaseSubject,
  type Verdict,
} from '../domain/case-merge';
import { AppError } from '../errors';
import { type AuditActor, recordAudit } from './audit';
import { caseEventSummary, publishCaseEvents } from './case-events';

type CaseRow = typeof cases.$inferSelect;
type LockedCase = CaseRow & { mergedIntoNumber: number | null };

/** Locks the cases (FOR UPDATE, in id order) and reads them with the number of the case each was merged into. */
async function lockCases(tx: Transaction, ids: string[]): Promise<Map<string, LockedCase>> {
  // The intake locks its mailbox's processor row first and the cases it writes into after. Moving messages
  // updates a case row twice (the search trigger, then ours), and the second update re-checks the case's
  // foreign keys, which takes a key-share lock on the processor row: taken here first, in the intake's
  // order, so a merge waits for mail being stored instead of deadlocking with it.
  await tx.execute(sql`select 1 from email_processors
    where id in (select processor_id from cases where id in (${sql.join(
      [...new Set(ids)].map((id) => sql`${id}::uuid`),
      sql`, `,
    )})) order by id for key share`);
  const rows = await tx
    .select()
    .from(cases)
    .where(inArray(cases.id, [...new Set(ids)]))
    .orderBy(asc(cases.id))
    .for('update');
  // Read after the lock, in a statement of its own: a join in the locking statement could pair the row
  // a concurrent merge just updated with what the other side looked like before it.
  const targets = rows.flatMap((r) => (r.mergedIntoId === null ? [] : [r.mergedIntoId]));
  const numbers = targets.length ? await tx.select({ id: cases.id, number: cases.number }).from(cases).where(inArray(cases.id, targets)) : [];
  const numberOf = new Map(numbers.map((n) => [n.id, n.number]));
  return new Map(rows.map((r) => [r.id, { ...r, mergedIntoNumber: r.mergedIntoId === null ? null : (numberOf.get(r.mergedIntoId) ?? 0) }]));
}

function side(c: LockedCase): MergeSide {
  return { id: c.id, number: c.number, mergedIntoNumber: c.mergedIntoNumber };
}

function refuseUnless(verdict: Verdict): void {
  if (!verdict.ok) throw new AppError('CONFLICT', verdict.reason);
}

async function caseIdByNumber(db: DbOrTx, number: number): Promise<string> {
  const [row] = await db.select({ id: cases.id }).from(cases).where(eq(cases.number, number));
  if (!row) throw new AppError('NOT_FOUND', `There is no case ${formatCaseNumber(number)}.`);
  return row.id;
}

async function mustLock(tx: Transaction, ids: string[]): Promise<LockedCase[]> {
  const locked = await lockCases(tx, ids);
  return ids.map((id) => {
    const row = locked.get(id);
    if (!row) throw new AppError('NOT_FOUND', 'This case no longer exists.');
    return row;
  });
}

async function messageCount(tx: DbOrTx, caseId: string): Promise<number> {
  const [{ value }] = await tx.select({ value: count() }).from(caseMessages).where(eq(caseMessages.caseId, caseId));
  return value;
}

async function threadOf(tx: DbOrTx, caseId: string) {
  return tx
    .select({ id: caseMessages.id, direction: caseMessages.direction, subject: caseMessages.subject })
    .from(caseMessages)
    .where(eq(caseMessages.caseId, caseId))
    .orderBy(asc(caseMessages.createdAt), asc(caseMessages.id));
}

/** Moves messages (their attachments come along) and the outbox rows of those messages to `targetId`. */
async function moveMessages(tx: Transaction, messageIds: string[], targetId: string): Promise<{ messageIds: string[]; outboxIds: string[] }> {
  if (messageIds.length === 0) return { messageIds: [], outboxIds: [] };
  const moved = await tx.update(caseMessages).set({ caseId: targetId }).where(inArray(caseMessages.id, messageIds)).returning({ id: caseMessages.id });
  const mail = await tx.update(outbox).set({ caseId: targetId }).where(inArray(outbox.caseMessageId, messageIds)).returning({ id: outbox.id });
  return { messageIds: moved.map((m) => m.id), outboxIds: mail.map((o) => o.id) };
}

async function touch(tx: Transaction, caseId: string, set: Partial<typeof cases.$inferInsert> = {}): Promise<CaseRow> {
  const [row] = await tx
    .update(cases)
    .set({ ...set, lastActivityAt: sql`now()` })
    .where(eq(cases.id, caseId))
    .returning();
  return row!;
}

/**
 * A reply an agent was writing on the merged case goes along with its files, so the merge loses nothing
 * they typed; an agent who already has a draft on the target keeps that one (one draft per agent and case),
 * and the other stays with the merged case. Undo leaves drafts where they are.
 */
async function moveDrafts(tx: Transaction, sourceId: string, targetId: string): Promise<void> {
  const moved = await tx
    .update(caseDrafts)
    .set({ caseId: targetId })
    .where(
      and(
        eq(caseDrafts.caseId, sourceId),
        sql`not exists (select 1 from ${caseDrafts} t where t.case_id = ${targetId} and t.user_id = ${caseDrafts.userId})`,
      ),
    )
    .returning({ userId: caseDrafts.userId });
  if (moved.length === 0) return;
  await tx
    .update(replyUploads)
    .set({ caseId: targetId })
    .where(and(eq(replyUploads.caseId, sourceId), inArray(replyUploads.uploaderId, moved.map((d) => d.userId))));
}

/** The case at the end of each case's merge chain (itself when it was never merged), with its number, in one query. */
export async function finalCases(db: DbOrTx, caseIds: string[]): Promise<Map<string, { id: string; number: number }>> {
  if (caseIds.length === 0) return new Map();
  const ids = sql.join(
    [...new Set(caseIds)].map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  const rows = await db.execute<{ id: string; merged_into_id: string | null; number: string | number }>(sql`
    with recursive chain(id, merged_into_id, number, depth) as (
      select id, merged_into_id, number, 0 from cases where id in (${ids})
      union
      select c.id, c.merged_into_id, c.number, chain.depth + 1 from cases c join chain on c.id = chain.merged_into_id
       where chain.depth < 1000
    )
    select distinct id, merged_into_id, number from chain`);
  const mergedInto = new Map(rows.map((r) => [r.id, r.merged_into_id]));
  const numberOf = new Map(rows.map((r) => [r.id, Number(r.number)]));
  return new Map(
    caseIds.map((id) => {
      const final = finalCaseOf(id, mergedInto);
      return [id, { id: final, number: numberOf.get(final)! }];
    }),
  );
}

export type MergeCaseOptions = { db: Database; actor: AuditActor; sourceCaseId: string; targetNumber: number };
export type MergeCaseResult = { sourceNumber: string; targetNumber: string; messagesMoved: number; moveId: string };

export async function mergeCase({ db, actor, sourceCaseId, targetNumber }: MergeCaseOptions): Promise<MergeCaseResult> {
  return db.transaction(async (tx) => {
    const targetId = await caseIdByNumber(tx, targetNumber);
    const [source, target] = await mustLock(tx, [sourceCaseId, targetId]);
    refuseUnless(checkMerge(side(source!), side(target!)));

    const ids = (await tx.select({ id: caseMessages.id }).from(caseMessages).where(eq(caseMessages.caseId, source!.id))).map((m) => m.id);
    const moved = await moveMessages(tx, ids, target!.id);
    // Auto-replies and replies whose thread entry is gone still belong to the case's outbound history.
    const loose = await tx
      .update(outbox)
      .set({ caseId: target!.id })
      .where(and(eq(outbox.caseId, source!.id), isNull(outbox.caseMessageId)))
      .returning({ id: outbox.id });
    const targetTookContact = target!.contactId === null && source!.contactId !== null;
    await moveDrafts(tx, source!.id, target!.id);

    const updatedSource = await touch(tx, source!.id, { mergedIntoId: target!.id, mergedAt: new Date(), status: 'closed' });
    const updatedTarget = await touch(tx, target!.id, targetTookContact ? { contactId: source!.contactId } : {});
    const [move] = await tx
      .insert(caseMoves)
      .values({
        kind: 'merge',
        sourceCaseId: source!.id,
        targetCaseId: target!.id,
        actorId: actor.id,
        messageIds: moved.messageIds,
        outboxIds: [...moved.outboxIds, ...loose.map((o) => o.id)],
        targetMessageCount: await messageCount(tx, target!.id),
        targetContactId: targetTookContact ? source!.contactId : null,
        targetTookContact,
        sourceStatus: source!.status,
      })
      .returning({ id: caseMoves.id });

    const sourceNumber = formatCaseNumber(source!.number);
    const into = formatCaseNumber(target!.number);
    await recordAudit({
      db: tx,
      actor,
      action: 'case.merged',
      entityType: 'case',
      entityId: source!.id,
      details: { caseNumber: sourceNumber, into, messages: moved.messageIds.length, outbound: moved.outboxIds.length + loose.length, contactTaken: targetTookContact },
    });
    await publishCaseEvents(tx, [
      { type: 'case.updated', case: caseEventSummary(updatedSource), actorId: actor.id },
      { type: 'case.updated', case: caseEventSummary(updatedTarget), actorId: actor.id },
    ]);
    return { sourceNumber, targetNumber: into, messagesMoved: moved.messageIds.length, moveId: move!.id };
  });
}

type MoveRow = typeof caseMoves.$inferSelect;

async function latestMergeOf(db: DbOrTx, sourceCaseId: string): Promise<MoveRow | null> {
  const [row] = await db
    .select()
    .from(caseMoves)
    .where(and(eq(caseMoves.sourceCaseId, sourceCaseId), eq(caseMoves.kind, 'merge'), isNull(caseMoves.undoneAt)))
    .orderBy(sql`${caseMoves.createdAt} desc`)
    .limit(1);
  return row ?? null;
}

/** Whether the merge recorded as `move` can be undone, from what the two cases hold now. */
async function undoVerdict(db: DbOrTx, move: MoveRow, source: Pick<CaseRow, 'mergedIntoId'>, target: Pick<CaseRow, 'mergedIntoId'>): Promise<Verdict> {
  const [{ value: stillThere }] = move.messageIds.length
    ? await db
        .select({ value: count() })
        .from(caseMessages)
        .where(and(inArray(caseMessages.id, move.messageIds), eq(caseMessages.caseId, move.targetCaseId)))
    : [{ value: 0 }];
  return canUndoMerge({
    kind: move.kind,
    undone: move.undoneAt !== null,
    sourceStillMergedIntoTarget: source.mergedIntoId === move.targetCaseId,
    targetMergedSince: target.mergedIntoId !== null,
    targetMessageCountAfterMerge: move.targetMessageCount,
    targetMessageCountNow: await messageCount(db, move.targetCaseId),
    movedMessages: move.messageIds.length,
    movedStillInTarget: stillThere,
  });
}

export type UndoMergeOptions = { db: Database; actor: AuditActor; caseId: string };
export type UndoMergeResult = { caseNumber: string; fromNumber: string; messagesMoved: number };

/** Undoes the merge of `caseId` (the merged case) while nothing new has arrived in the case it went into. */
export async function undoMerge({ db, actor, caseId }: UndoMergeOptions): Promise<UndoMergeResult> {
  return db.transaction(async (tx) => {
    const first = await latestMergeOf(tx, caseId);
    if (!first) throw new AppError('CONFLICT', 'This case is not merged into another case.');
    const [source, target] = await mustLock(tx, [caseId, first.targetCaseId]);
    // Read again under the locks: a colleague may have undone it or changed the target meanwhile.
    const move = await latestMergeOf(tx, caseId);
    if (!move || move.id !== first.id) throw new AppError('CONFLICT', 'This merge was already undone.');
    refuseUnless(await undoVerdict(tx, move, source!, target!));

    const back = await tx.update(caseMessages).set({ caseId: source!.id }).where(inArray(caseMessages.id, move.messageIds)).returning({ id: caseMessages.id });
    if (move.outboxIds.length) await tx.update(outbox).set({ caseId: source!.id }).where(inArray(outbox.id, move.outboxIds));
    const updatedSource = await touch(tx, source!.id, { mergedIntoId: null, mergedAt: null, status: move.sourceStatus });
    const giveBackContact = move.targetTookContact && target!.contactId === move.targetContactId;
    const updatedTarget = await touch(tx, target!.id, giveBackContact ? { contactId: null } : {});
    await tx.update(caseMoves).set({ undoneAt: sql`now()`, undoneById: actor.id }).where(eq(caseMoves.id, move.id));

    const caseNumber = formatCaseNumber(source!.number);
    const fromNumber = formatCaseNumber(target!.number);
    await recordAudit({
      db: tx,
      actor,
      action: 'case.merge_undone',
      entityType: 'case',
      entityId: source!.id,
      details: { caseNumber, from: fromNumber, messages: back.length, outbound: move.outboxIds.length },
    });
    await publishCaseEvents(tx, [
      { type: 'case.updated', case: caseEventSummary(updatedSource), actorId: actor.id },
      { type: 'case.updated', case: caseEventSummary(updatedTarget), actorId: actor.id },
    ]);
    return { caseNumber, fromNumber, messagesMoved: back.length };
  });
}

export type SplitCaseOptions = { db: Database; actor: AuditActor; messageId: string; withFollowing: boolean };
export type SplitCaseResult = { caseNumber: string; number: number; messagesMoved: number };

/** Opens a new case with the chosen message (and, with `withFollowing`, every message after it). */
export async function splitCase({ db, actor, messageId, withFollowing }: SplitCaseOptions): Promise<SplitCaseResult> {
  return db.transaction(async (tx) => {
    const [where] = await tx.select({ caseId: caseMessages.caseId }).from(caseMessages).where(eq(caseMessages.id, messageId));
    if (!where) throw new AppError('NOT_FOUND', 'This message no longer exists.');
    const [source] = await mustLock(tx, [where.caseId]);
    // The thread read under the lock decides: the message may have moved since the first read.
    const thread = await threadOf(tx, source!.id);
    const choice = chooseSplitMessages(thread, messageId, withFollowing);
    if (!choice.ok) throw new AppError('CONFLICT', choice.reason);
    const chosen = thread.find((m) => m.id === messageId)!;
    const sourceNumber = formatCaseNumber(source!.number);

    const [created] = await tx
      .insert(cases)
      .values({
        subject: splitCaseSubject(chosen.subject, source!.subject),
        status: 'new',
        caseTypeId: source!.caseTypeId,
        casePriorityId: source!.casePriorityId,
        assignedToId: source!.assignedToId,
        managedById: source!.managedById,
        contactId: source!.contactId,
        processorId: source!.processorId,
        notes: [`Split from ${sourceNumber}.`],
      })
      .returning();
    const moved = await moveMessages(tx, choice.messageIds, created!.id);
    const updatedSource = await touch(tx, source!.id);
    const [fresh] = await tx.select().from(cases).where(eq(cases.id, created!.id));
    await tx.insert(caseMoves).values({
      kind: 'split',
      sourceCaseId: source!.id,
      targetCaseId: created!.id,
      actorId: actor.id,
      messageIds: moved.messageIds,
      outboxIds: moved.outboxIds,
      targetMessageCount: moved.messageIds.length,
      sourceStatus: source!.status,
    });
    const caseNumber = formatCaseNumber(created!.number);
    await recordAudit({
      db: tx,
      actor,
      action: 'case.split',
      entityType: 'case',
      entityId: source!.id,
      details: { caseNumber: sourceNumber, into: caseNumber, messages: moved.messageIds.length, withFollowing },
    });
    await publishCaseEvents(tx, [
      { type: 'case.created', case: caseEventSummary(fresh!) },
      { type: 'case.updated', case: caseEventSummary(updatedSource), actorId: actor.id },
    ]);
    return { caseNumber, number: created!.number, messagesMoved: moved.messageIds.length };
  });
}

export type MoveMessageOptions = { db: Database; actor: AuditActor; messageId: string; targetNumber: number };
export type MoveMessageResult = { fromNumber: string; toNumber: string };

/** Moves one message (with its attachments and delivery record) to another case. */
export async function moveMessage({ db, actor, messageId, targetNumber }: MoveMessageOptions): Promise<MoveMessageResult> {
  return db.transaction(async (tx) => {
    const [where] = await tx.select({ caseId: caseMessages.caseId }).from(caseMessages).where(eq(caseMessages.id, messageId));
    if (!where) throw new AppError('NOT_FOUND', 'This message no longer exists.');
    const targetId = await caseIdByNumber(tx, targetNumber);
    const [source, target] = await mustLock(tx, [where.caseId, targetId]);
    // The message may have moved between the first read and the locks; the thread read now is the truth.
    const thread = await threadOf(tx, source!.id);
    refuseUnless(checkMoveMessage({ thread, messageId, source: side(source!), target: side(target!) }));

    const moved = await moveMessages(tx, [messageId], target!.id);
    const updatedSource = await touch(tx, source!.id);
    const updatedTarget = await touch(tx, target!.id);
    await tx.insert(caseMoves).values({
      kind: 'move',
      sourceCaseId: source!.id,
      targetCaseId: target!.id,
      actorId: actor.id,
      messageIds: moved.messageIds,
      outboxIds: moved.outboxIds,
      targetMessageCount: await messageCount(tx, target!.id),
      sourceStatus: source!.status,
    });
    const fromNumber = formatCaseNumber(source!.number);
    const toNumber = formatCaseNumber(target!.number);
    await recordAudit({
      db: tx,
      actor,
      action: 'case.message_moved',
      entityType: 'case',
      entityId: source!.id,
      details: { caseNumber: fromNumber, to: toNumber, caseMessageId: messageId },
    });
    await publishCaseEvents(tx, [
      { type: 'case.updated', case: caseEventSummary(updatedSource), actorId: actor.id },
      { type: 'case.updated', case: caseEventSummary(updatedTarget), actorId: actor.id },
    ]);
    return { fromNumber, toNumber };
  });
}

/** What the case page shows about merges: where this case went, and which cases were merged into it. */
export type CaseMergeInfo = {
  mergedInto: { caseNumber: string; number: number; at: Date; undo: Verdict } | null;
  mergedHere: Array<{ caseId: string; caseNumber: string; at: Date; undo: Verdict }>;
};

export async function getCaseMergeInfo({ db, caseId }: { db: DbOrTx; caseId: string }): Promise<CaseMergeInfo> {
  const [self] = await db.select().from(cases).where(eq(cases.id, caseId));
  if (!self) throw new AppError('NOT_FOUND', 'This case no longer exists.');
  let mergedInto: CaseMergeInfo['mergedInto'] = null;
  if (self.mergedIntoId) {
    const move = await latestMergeOf(db, self.id);
    const [target] = await db.select().from(cases).where(eq(cases.id, self.mergedIntoId));
    if (target) {
      mergedInto = {
        caseNumber: formatCaseNumber(target.number),
        number: target.number,
        at: self.mergedAt ?? self.lastActivityAt,
        undo: move ? await undoVerdict(db, move, self, target) : { ok: false, reason: 'No record of this merge was kept.' },
      };
    }
  }
  const sources = await db
    .select({ move: caseMoves, source: cases })
    .from(caseMoves)
    .innerJoin(cases, eq(cases.id, caseMoves.sourceCaseId))
    .where(and(eq(caseMoves.targetCaseId, self.id), eq(caseMoves.kind, 'merge'), isNull(caseMoves.undoneAt)))
    .orderBy(asc(caseMoves.createdAt));
  const mergedHere: CaseMergeInfo['mergedHere'] = [];
  for (const { move, source } of sources) {
    mergedHere.push({
      caseId: source.id,
      caseNumber: formatCaseNumber(source.number),
      at: move.createdAt,
      undo: await undoVerdict(db, move, source, self),
    });
  }
  return { mergedInto, mergedHere };
}
