// The ingest pipeline: raw messages fetched from one mailbox → case changes, exactly once.
// The worker's mailbox session calls ingestBatch (or ingestMessage) with what it fetched; everything for
// one batch (up to MAX_MESSAGES_PER_TRANSACTION messages) happens in one transaction:
//   lock the processor row → per message, in a savepoint: skip a UID already stored, skip the same mail
//   already stored under another UID (a resync after UIDVALIDITY changed, a copy back into the mailbox;
//   server/services/same-mail.ts says what counts as the same mail), store the raw bytes, intake
//   (server/services/case-intake.ts) → a failed message is rolled back to its savepoint and quarantined with
//   its raw bytes (server/services/quarantine.ts) → advance the UID cursor → commit, which delivers the NOTIFYs.
//
// Decisions:
// - Parsing and hashing happen before the transaction: CPU work that needs no lock; a parse failure goes
//   straight to quarantine.
// - A quarantined message and its cursor move commit together with the rest of the batch, so there is no
//   moment where a message is neither ingested, quarantined nor still ahead of the cursor.
// - Failures that say nothing about the message (database unreachable or shutting down, deadlock victim)
//   are thrown, not quarantined: the cursor has not moved, so the worker fetches the messages again later.
//   A deadlock between two batches (they may lock contacts and cases in different orders) is answered by
//   ingesting that batch's messages one transaction each, which cannot deadlock that way.
// - The same mail again keeps no raw copy: its bytes are already stored under the first UID, and a resync of
//   a large mailbox would otherwise double its storage.
// - importDone counts every message of the import that this call handled, the same mail again and
//   quarantined ones included (they are progress through the mailbox), but not a UID seen before.
import type { Database, Transaction } from '../db/client';
import { rawMessages } from '../db/schema';
import { describeError, isRetryableTransactionError, isTransientDatabaseError } from '../db/errors';
import { withLargeBytea } from '../db/large-bytea';
import { env } from '../env';
import { type ParseOutcome, tryParseInbound } from '../mail/parse-message';
import { type IngestStage, type IntakeContext, intakeMessage, type IntakeResult, loadIntakeContext } from './case-intake';
import { advanceCursor, lockProcessorForIngest } from './ingest-mailbox';
import { findRawMessageId, quarantineMessage } from './quarantine';
import { findSameMailMessage, rawSha256 } from './same-mail';

export type { IngestStage };

export type IngestResult =
  | IntakeResult
  /** 'uid': this UID was taken before; 'same-mail': a case message of this mailbox has the same Message-ID and bytes. */
  | { kind: 'duplicate'; why: 'uid' | 'same-mail' }
  | { kind: 'quarantined'; quarantineId: string; stage: IngestStage; error: string };

export type IngestMessageOptions = {
  db: Database;
  processorId: string;
  uidValidity: number;
  uid: number;
  raw: Buffer;
  isImport: boolean;
  now?: Date;
};

export type IngestBatchOptions = {
  db: Database;
  processorId: string;
  uidValidity: number;
  messages: Array<{ uid: number; raw: Buffer; isImport: boolean }>;
  now?: Date;
};

/** A transaction that lost a deadlock or serialization race is retried this many times in all. */
const MAX_TRANSACTION_ATTEMPTS = 3;

/**
 * Messages per transaction. Each message's savepoint that writes gets a subtransaction id, and Postgres keeps
 * only 64 of them per transaction in shared memory; past that every session's visibility checks slow down
 * ("subxid overflow"). Larger batches are split into transactions of this size.
 */
export const MAX_MESSAGES_PER_TRANSACTION = 50;

export async function ingestMessage({ db, processorId, uidValidity, uid, raw, isImport, now }: IngestMessageOptions): Promise<IngestResult> {
  const [result] = await ingestBatch({ db, processorId, uidValidity, messages: [{ uid, raw, isImport }], now });
  return result;
}

export async function ingestBatch(opts: IngestBatchOptions): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  for (let start = 0; start < opts.messages.length; start += MAX_MESSAGES_PER_TRANSACTION) {
    const chunk = opts.messages.slice(start, start + MAX_MESSAGES_PER_TRANSACTION);
    const prepared: PreparedMessage[] = [];
    for (const message of chunk) prepared.push({ ...message, sha256: rawSha256(message.raw), parsed: await tryParseInbound(message.raw) });
    results.push(...(await ingestPrepared(opts, prepared)));
  }
  return results;
}

async function ingestPrepared(opts: IngestBatchOptions, prepared: PreparedMessage[]): Promise<IngestResult[]> {
  if (prepared.length === 1) return withRetries(() => runBatch(opts, prepared));
  try {
    return await runBatch(opts, prepared);
  } catch (err) {
    if (!isRetryableTransactionError(err)) throw err;
    const results: IngestResult[] = [];
    for (const message of prepared) results.push(...(await withRetries(() => runBatch(opts, [message]))));
    return results;
  }
}

type PreparedMessage = { uid: number; raw: Buffer; sha256: string; isImport: boolean; parsed: ParseOutcome };

async function withRetries<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= MAX_TRANSACTION_ATTEMPTS || !isRetryableTransactionError(err)) throw err;
    }
  }
}

async function runBatch(opts: IngestBatchOptions, messages: PreparedMessage[]): Promise<IngestResult[]> {
  return opts.db.transaction(async (tx) => {
    const processor = await lockProcessorForIngest(tx, opts.processorId, opts.uidValidity);
    const ctx = await loadIntakeContext(tx, {
      processor,
      maxAutoRepliesPerSenderPerHour: env().AUTO_REPLY_MAX_PER_SENDER_PER_HOUR,
    });
    const results: IngestResult[] = [];
    let importedCount = 0;
    for (const message of messages) {
      const result = await ingestOne(tx, ctx, opts.uidValidity, message, opts.now ?? new Date());
      results.push(result);
      if (message.isImport && !(result.kind === 'duplicate' && result.why === 'uid')) importedCount++;
    }
    await advanceCursor(tx, {
      processorId: opts.processorId,
      uidValidity: opts.uidValidity,
      uid: Math.max(...messages.map((m) => m.uid)),
      importedCount,
      now: opts.now ?? new Date(),
    });
    return results;
  });
}

async function ingestOne(
  tx: Transaction,
  ctx: IntakeContext,
  uidValidity: number,
  message: PreparedMessage,
  now: Date,
): Promise<IngestResult> {
  const processorId = ctx.processor.id;
  const mailbox = { processorId, uidValidity, uid: message.uid, raw: message.raw, now };
  if ((await findRawMessageId(tx, mailbox)) !== null) return { kind: 'duplicate', why: 'uid' };
  if (!message.parsed.ok) return quarantineMessage(tx, { ...mailbox, stage: 'parse', error: message.parsed.error });

  const parsed = message.parsed.value;
  if ((await findSameMailMessage(tx, { processorId, messageId: parsed.messageId, sha256: message.sha256 })) !== null) {
    return { kind: 'duplicate', why: 'same-mail' };
  }

  const progress: { stage: IngestStage } = { stage: 'store' };
  const importUntilUid = ctx.processor.importUntilUid;
  try {
    // drizzle turns a nested transaction into a savepoint: a failure undoes this message only.
    return await tx.transaction(async (sp) => {
      const [raw] = await withLargeBytea(sp, [message.raw], ([content]) =>
        sp
          .insert(rawMessages)
          .values({ processorId, uidValidity, uid: message.uid, size: message.raw.length, content: content! })
          .returning({ id: rawMessages.id }),
      );
      return intakeMessage(sp, ctx, {
        parsed,
        rawMessageId: raw.id,
        isInitialImport: message.isImport || (importUntilUid !== null && message.uid <= importUntilUid),
        isRetry: false,
        now,
        progress,
      });
    });
  } catch (err) {
    if (isTransientDatabaseError(err)) throw err;
    return quarantineMessage(tx, { ...mailbox, stage: progress.stage, error: describeError(err) });
  }
}
