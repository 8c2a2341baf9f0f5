// Messages that could not become a case change: kept with their exact bytes and the error, listed for
// admins, and retried on request after whatever failed was fixed (a parser upgrade, a database setting).
// ingest.ts writes them inside its own transaction; retryQuarantined runs the same intake round as live mail
// (case-intake.ts intakeRound).
//
// Decisions:
// - A quarantine row belongs to one raw message, and a raw message to one (processor, UIDVALIDITY, UID):
//   ingest checks the UID under the processor lock before writing either, so a message fetched twice is
//   quarantined once, and never both quarantined and made a case.
// - A retry sends no auto-reply: the sender wrote a while ago and may have written again since; a missed
//   auto-reply costs little, a confusing late one costs trust.
// - A retry that finds the same mail already stored as a case message (it came in again under another UID;
//   same Message-ID and same bytes, server/services/same-mail.ts) resolves the quarantine as that message
//   instead of making a second copy. A different mail that only shares the Message-ID is taken in as usual.
// - The admin list shows Subject and From read from the first bytes of the raw message only, so a list
//   page never loads whole mails.
import { and, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/client';
import { runPrepared } from '../db/prepared';
import { caseMessages, cases, emailProcessors, quarantine, rawMessages } from '../db/schema';
import { describeError, isTransientDatabaseError } from '../db/errors';
import { AppError } from '../errors';
import { env } from '../env';
import { readHeaderPreview } from '../mail/header-preview';
import { tryParseInbound } from '../mail/parse-message';
import { type AuditActor, recordAudit } from './audit';
import { type IngestStage, intakeRound, loadIntakeContext } from './case-intake';
import type { IngestResult } from './ingest';
import { lockProcessorForIngest } from './ingest-mailbox';

type MailboxMessage = { processorId: string; uidValidity: number; uid: number; raw: Buffer; now: Date };

/** Which of `uids` this mailbox already stored (as a case message or in quarantine). */
export async function findStoredUids(tx: Transaction, m: Pick<MailboxMessage, 'processorId' | 'uidValidity'> & { uids: number[] }): Promise<Set<number>> {
  if (m.uids.length === 0) return new Set();
  const rows = await runPrepared(
    tx
      .select({ uid: rawMessages.uid })
      .from(rawMessages)
      .where(and(eq(rawMessages.processorId, m.processorId), eq(rawMessages.uidValidity, m.uidValidity), inArray(rawMessages.uid, m.uids))),
  );
  return new Set(rows.map((r) => r.uid!));
}

async function findRawMessageId(tx: Transaction, m: Pick<MailboxMessage, 'processorId' | 'uidValidity' | 'uid'>): Promise<string | null> {
  const [row] = await tx
    .select({ id: rawMessages.id })
    .from(rawMessages)
    .where(and(eq(rawMessages.processorId, m.processorId), eq(rawMessages.uidValidity, m.uidValidity), eq(rawMessages.uid, m.uid)));
  return row?.id ?? null;
}

export type QuarantineMessageOptions = MailboxMessage & { stage: IngestStage; error: string };

/**
 * Stores the raw bytes and the error. Ingest calls it under the processor lock after finding the UID new;
 * it is idempotent on (processor, UIDVALIDITY, UID) by itself all the same: when the UID is already
 * stored it writes nothing and reports what that UID became.
 */
export async function quarantineMessage(tx: Transaction, opts: QuarantineMessageOptions): Promise<IngestResult> {
  const [raw] = await tx
    .insert(rawMessages)
    .values({ processorId: opts.processorId, uidValidity: opts.uidValidity, uid: opts.uid, size: opts.raw.length, content: opts.raw })
    .onConflictDoNothing()
    .returning({ id: rawMessages.id });
  if (!raw) {
    const rawMessageId = await findRawMessageId(tx, opts);
    const [existing] = rawMessageId === null ? [] : await tx.select().from(quarantine).where(eq(quarantine.rawMessageId, rawMessageId));
    return existing
      ? { kind: 'quarantined', quarantineId: existing.id, stage: existing.stage as IngestStage, error: existing.error }
      : { kind: 'duplicate', why: 'uid' };
  }
  const [row] = await tx
    .insert(quarantine)
    .values({ processorId: opts.processorId, rawMessageId: raw.id, stage: opts.stage, error: opts.error, createdAt: opts.now, updatedAt: opts.now })
    .returning({ id: quarantine.id });
  return { kind: 'quarantined', quarantineId: row.id, stage: opts.stage, error: opts.error };
}

export type RetryQuarantinedOptions = { db: Database; quarantineId: string; actor: AuditActor; now?: Date };

export async function retryQuarantined({ db, quarantineId, actor, now = new Date() }: RetryQuarantinedOptions): Promise<IngestResult> {
  const [stored] = await db
    .select({ content: rawMessages.content, sha256: rawMessages.sha256, resolvedAt: quarantine.resolvedAt })
    .from(quarantine)
    .innerJoin(rawMessages, eq(rawMessages.id, quarantine.rawMessageId))
    .where(eq(quarantine.id, quarantineId));
  if (!stored) throw new AppError('NOT_FOUND', 'No such quarantined message.');
  if (stored.resolvedAt !== null) throw new AppError('CONFLICT', 'This message was already retried successfully.');
  const parsed = await tryParseInbound(stored.content);

  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(quarantine).where(eq(quarantine.id, quarantineId)).for('update');
    if (!current) throw new AppError('NOT_FOUND', 'No such quarantined message.');
    // Two admins pressing retry at once: the second waits for the row lock above, then finds it resolved.
    if (current.resolvedAt !== null) throw new AppError('CONFLICT', 'This message was already retried successfully.');
    if (current.processorId === null) {
      throw new AppError('CONFLICT', 'The mailbox this message came from was deleted, so it has no filters to run.');
    }
    const processor = await lockProcessorForIngest(tx, current.processorId, null);
    const ctx = await loadIntakeContext(tx, {
      processor,
      maxAutoRepliesPerSenderPerHour: env().AUTO_REPLY_MAX_PER_SENDER_PER_HOUR,
      maxAutoRepliesPerProcessorPerHour: env().AUTO_REPLY_MAX_PER_PROCESSOR_PER_HOUR,
    });

    const fail = async (stage: IngestStage, error: string): Promise<IngestResult> => {
      await tx
        .update(quarantine)
        .set({ stage, error, attempts: sql`${quarantine.attempts} + 1`, updatedAt: now })
        .where(eq(quarantine.id, quarantineId));
      return { kind: 'quarantined', quarantineId, stage, error };
    };
    const resolve = async (caseMessageId: string) => {
      await tx
        .update(quarantine)
        .set({ resolvedAt: now, resolvedCaseMessageId: caseMessageId, attempts: sql`${quarantine.attempts} + 1`, updatedAt: now })
        .where(eq(quarantine.id, quarantineId));
    };

    let result: IngestResult;
    if (!parsed.ok) {
      result = await fail('parse', parsed.error);
    } else {
      const progress: { stage: IngestStage } = { stage: 'thread' };
      try {
        result = await tx.transaction(async (sp): Promise<IngestResult> => {
          const item = { parsed: parsed.value, sha256: stored.sha256, alone: true, isInitialImport: false, isRetry: true };
          // Its raw bytes are stored already: the quarantine row names them.
          const [outcome] = await intakeRound(sp, ctx, [item], now, progress, { rawMessageIds: () => [current.rawMessageId] });
          await resolve(outcome!.caseMessageId);
          return outcome!.kind === 'same-mail' ? { kind: 'duplicate', why: 'same-mail' } : outcome!;
        });
      } catch (err) {
        if (isTransientDatabaseError(err)) throw err;
        result = await fail(progress.stage, describeError(err));
      }
    }
    await recordAudit({
      db: tx,
      actor,
      action: 'quarantine.retried',
      entityType: 'quarantine',
      entityId: quarantineId,
      details: { outcome: result.kind, ...('caseNumber' in result && { caseNumber: result.caseNumber }) },
    });
    return result;
  });
}

export type QuarantineCursor = { createdAt: Date; id: string };

export type QuarantineItem = {
  id: string;
  processorId: string | null;
  processorEmail: string | null;
  uidValidity: number | null;
  uid: number | null;
  size: number;
  stage: string;
  error: string;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  resolvedAt: Date | null;
  /** The case the message went to once a retry succeeded. */
  resolvedCaseId: string | null;
  resolvedCaseNumber: number | null;
  /** Read from the raw header when it could be read; null otherwise. */
  subject: string | null;
  from: string | null;
};

export type ListQuarantineOptions = {
  db: Database;
  limit: number;
  cursor?: QuarantineCursor | null;
  /** Resolved messages are hidden unless asked for. */
  includeResolved?: boolean;
};

/** Enough of the raw message to find Subject and From in all but pathological headers. */
const PREVIEW_BYTES = 16 * 1024;

// Newest first, keyset-paginated on (created_at, id).
export async function listQuarantine({ db, limit, cursor, includeResolved = false }: ListQuarantineOptions) {
  const conditions = [
    includeResolved ? undefined : isNull(quarantine.resolvedAt),
    cursor
      ? or(lt(quarantine.createdAt, cursor.createdAt), and(eq(quarantine.createdAt, cursor.createdAt), lt(quarantine.id, cursor.id)))
      : undefined,
  ].filter(Boolean);
  const rows = await db
    .select({
      id: quarantine.id,
      processorId: quarantine.processorId,
      processorEmail: emailProcessors.emailAddress,
      uidValidity: rawMessages.uidValidity,
      uid: rawMessages.uid,
      size: rawMessages.size,
      stage: quarantine.stage,
      error: quarantine.error,
      attempts: quarantine.attempts,
      createdAt: quarantine.createdAt,
      updatedAt: quarantine.updatedAt,
      resolvedAt: quarantine.resolvedAt,
      resolvedCaseId: cases.id,
      resolvedCaseNumber: cases.number,
      head: sql<Buffer>`substring(${rawMessages.content} from 1 for ${PREVIEW_BYTES})`,
    })
    .from(quarantine)
    .innerJoin(rawMessages, eq(rawMessages.id, quarantine.rawMessageId))
    .leftJoin(emailProcessors, eq(emailProcessors.id, quarantine.processorId))
    .leftJoin(caseMessages, eq(caseMessages.id, quarantine.resolvedCaseMessageId))
    .leftJoin(cases, eq(cases.id, caseMessages.caseId))
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(quarantine.createdAt), desc(quarantine.id))
    .limit(limit + 1);
  const items: QuarantineItem[] = rows.slice(0, limit).map(({ head, ...row }) => ({ ...row, ...readHeaderPreview(head) }));
  const last = items.at(-1);
  const nextCursor: QuarantineCursor | null = rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null;
  return { items, nextCursor };
}
