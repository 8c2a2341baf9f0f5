// The ingest pipeline: raw messages fetched from one mailbox → case changes, exactly once.
// The worker's mailbox session calls ingestBatch (or ingestMessage) with what it fetched; everything for
// one batch (up to MAX_MESSAGES_PER_TRANSACTION messages) happens in one transaction:
//   lock the processor row → skip UIDs already stored, quarantine what did not parse → in rounds, each in a
//   savepoint: plan a prefix of the rest (server/services/case-intake.ts: the same mail already stored under
//   another UID is skipped, server/services/same-mail.ts says what counts as the same mail), store its raw
//   bytes, write its case changes → a failed round is rolled back and its messages taken one round each, so
//   only the one at fault is quarantined with its raw bytes (server/services/quarantine.ts) → advance the
//   UID cursor → commit, which delivers the NOTIFYs.
// Import mail shares rounds (dozens of messages, a handful of statements); live mail is a round of its own,
// as its auto-reply decision reads the outbox the round before it wrote.
//
// Decisions:
// - Parsing and hashing happen before the transaction (prepareMessages): CPU work that needs no lock; a
//   parse failure goes straight to quarantine.
// - A quarantined message and its cursor move commit together with the rest of the batch, so there is no
//   moment where a message is neither ingested, quarantined nor still ahead of the cursor.
// - Failures that say nothing about the message (database unreachable or shutting down, deadlock victim)
//   are thrown, not quarantined: the cursor has not moved, so the worker fetches the messages again later.
//   A deadlock between two batches (they may lock contacts and cases in different orders) is answered by
//   ingesting that batch's messages one transaction each, which cannot deadlock that way.
// - The same mail again keeps no raw copy: its bytes are already stored under the first UID, and a resync of
//   a large mailbox would otherwise double its storage.
// - A round that fails is undone as a whole, then its messages are taken one round each; the case numbers
//   the undone round drew stay unused (a sequence does not roll back), so case numbers may have gaps.
// - A transaction of import mail only commits without waiting for its WAL flush (synchronous_commit off):
//   if Postgres crashes within the next fraction of a second, the transaction is lost whole, the cursor
//   with it, and the worker fetches those messages again (WAL is flushed in order, so nothing after it can
//   survive without it). Import mail sends no auto-reply, so nothing outside the database acted on it;
//   live mail, whose auto-reply leaves the building, commits synchronously.
// - importDone counts every message of the import that this call handled, the same mail again and
//   quarantined ones included (they are progress through the mailbox), but not a UID seen before.
import { randomUUID } from 'node:crypto';
import type { Database, Transaction } from '../db/client';
import { runPrepared } from '../db/prepared';
import { rawMessages } from '../db/schema';
import { describeError, isRetryableTransactionError, isTransientDatabaseError } from '../db/errors';
import { sql } from 'drizzle-orm';
import { LARGE_BYTEA_BYTES, withLargeBytea } from '../db/large-bytea';
import { isInitialImport } from '../domain/initial-import';
import { env } from '../env';
import { type ParsedInbound, type ParseOutcome, tryParseForIntake } from '../mail/parse-message';
import {
  type IngestStage,
  intakeRound,
  type IntakeContext,
  type IntakeResult,
  loadIntakeContext,
  type StatementPipeline,
} from './case-intake';
import { advanceCursor, lockProcessorForIngest } from './ingest-mailbox';
import { findStoredUids, quarantineMessage } from './quarantine';
import { findTakenUidls, type Pop3Message, recordTaken } from './pop3-taken';
import { rawSha256 } from './same-mail';

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

/**
 * A message as fetched from the mailbox. `resync`: part of a resync after the first import (a UIDVALIDITY
 * change): batched and counted like import mail, but mail not stored yet is live (auto-reply rules apply).
 */
export type FetchedMessage = { uid: number; raw: Buffer; isImport: boolean; resync?: boolean };
/** A fetched message parsed and hashed (prepareMessages). */
export type PreparedMessage = FetchedMessage & Prepared;

export type IngestBatchOptions = {
  db: Database;
  processorId: string;
  uidValidity: number;
  /** Prepared ones are not parsed again. */
  messages: Array<FetchedMessage | PreparedMessage>;
  now?: Date;
  /**
   * POP3: each message's UIDL and size by the UID it is stored under (server/services/pop3-taken.ts). A UIDL
   * already taken is skipped like a UID seen before; the rest are recorded as taken in this transaction.
   */
  pop3?: Map<number, Pop3Message>;
};

/** A transaction that lost a deadlock or serialization race is retried this many times in all. */
const MAX_TRANSACTION_ATTEMPTS = 3;

/**
 * Messages per transaction. Each savepoint that writes gets a subtransaction id, and Postgres keeps only 64 of
 * them per transaction in shared memory; past that every session's visibility checks slow down ("subxid
 * overflow"). A round is one savepoint, but a failed round takes its messages one savepoint each, so a
 * transaction holds at most this many messages.
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
    results.push(...(await ingestPrepared(opts, await prepareMessages(chunk))));
  }
  return results;
}

/** A message's hash and parse outcome: what prepareMessages adds. */
export type Prepared = { sha256: string; parsed: ParseOutcome };

/** Hashes and parses on this thread (the worker parses on a thread of its own: worker/parse-pool.ts). */
export async function prepareHere(raw: Buffer): Promise<Prepared> {
  return { sha256: rawSha256(raw), parsed: await tryParseForIntake(raw) };
}

/**
 * Parses and hashes: CPU work that needs no database, so the worker does it for its next batch while the
 * current one is being written. A message that does not parse carries the reason (quarantined at ingest).
 */
export async function prepareMessages(
  messages: Array<FetchedMessage | PreparedMessage>,
  prepare: (raw: Buffer) => Promise<Prepared> = prepareHere,
): Promise<PreparedMessage[]> {
  return Promise.all(messages.map(async (message) => ('parsed' in message ? message : { ...message, ...(await prepare(message.raw)) })));
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
    if (messages.every((m) => m.isImport && !m.resync)) await tx.execute(sql`set local synchronous_commit to off`);
    const processor = await lockProcessorForIngest(tx, opts.processorId, opts.uidValidity);
    const ctx = await loadIntakeContext(tx, {
      processor,
      maxAutoRepliesPerSenderPerHour: env().AUTO_REPLY_MAX_PER_SENDER_PER_HOUR,
      maxAutoRepliesPerProcessorPerHour: env().AUTO_REPLY_MAX_PER_PROCESSOR_PER_HOUR,
    });
    const now = opts.now ?? new Date();
    const results: IngestResult[] = [];
    const stored = await findStoredUids(tx, { processorId: opts.processorId, uidValidity: opts.uidValidity, uids: messages.map((m) => m.uid) });
    if (opts.pop3) {
      const taken = await findTakenUidls(tx, opts.processorId, messages.flatMap((m) => opts.pop3!.get(m.uid) ?? []));
      for (const m of messages) if (taken.has(opts.pop3.get(m.uid)?.uidl ?? '')) stored.add(m.uid);
    }
    const candidates: Candidate[] = [];
    for (const [index, message] of messages.entries()) {
      if (stored.has(message.uid)) {
        results[index] = { kind: 'duplicate', why: 'uid' };
      } else if (!message.parsed.ok) {
        results[index] = await quarantineMessage(tx, { ...mailboxOf(ctx, opts.uidValidity, message, now), stage: 'parse', error: message.parsed.error });
      } else {
        candidates.push({ index, message, parsed: message.parsed.value });
      }
      // A UID given twice in one call is the same message: the first one decides.
      stored.add(message.uid);
    }
    for (let start = 0; start < candidates.length; ) {
      start += await ingestRound(tx, ctx, { uidValidity: opts.uidValidity, now, importUntilUid: processor.importUntilUid }, candidates.slice(start), results);
    }
    const importedCount = messages.filter((m, i) => m.isImport && !isUidDuplicate(results[i]!)).length;
    if (opts.pop3) {
      const taken = messages.flatMap((m, i) => {
        const pop3 = opts.pop3!.get(m.uid);
        return pop3 && !isUidDuplicate(results[i]!) ? [{ ...pop3, uid: m.uid }] : [];
      });
      await recordTaken(tx, opts.processorId, taken, now);
    }
    await advanceCursor(tx, {
      processorId: opts.processorId,
      uidValidity: opts.uidValidity,
      uid: Math.max(...messages.map((m) => m.uid)),
      importedCount,
      now,
    });
    return results;
  });
}

type Candidate = { index: number; message: PreparedMessage; parsed: ParsedInbound };
type RoundOptions = { uidValidity: number; now: Date; importUntilUid: number | null };

function isUidDuplicate(result: IngestResult): boolean {
  return result.kind === 'duplicate' && result.why === 'uid';
}

function mailboxOf(ctx: IntakeContext, uidValidity: number, message: PreparedMessage, now: Date) {
  return { processorId: ctx.processor.id, uidValidity, uid: message.uid, raw: message.raw, now };
}

/**
 * Plans and writes a prefix of `pending` in one savepoint and fills in its results; returns how many it
 * handled. When the round fails for a reason that is not transient, it is rolled back and its messages are
 * taken one round each, so only the message at fault is quarantined (with the stage it failed in).
 */
async function ingestRound(tx: Transaction, ctx: IntakeContext, opts: RoundOptions, pending: Candidate[], results: IngestResult[], alone = false): Promise<number> {
  const progress: { stage: IngestStage } = { stage: 'thread' };
  let planned = false;
  let handled = 1;
  try {
    // drizzle turns a nested transaction into a savepoint: a failure undoes this round only.
    await tx.transaction(async (sp) => {
      const round = alone ? pending.slice(0, 1) : pending;
      const items = round.map(({ message, parsed }) => ({
        parsed,
        sha256: message.sha256,
        alone: !message.isImport || !!message.resync,
        isInitialImport: isInitialImport(message, opts.importUntilUid),
        isRetry: false,
      }));
      const outcomes = await intakeRound(sp, ctx, items, opts.now, progress, {
        onPlanned: (count) => {
          planned = true;
          handled = count;
        },
        rawMessageIds: async (indexes, pipeline) => {
          const toStore = indexes.map((i) => round[i]!.message);
          const rawIds = storeRawMessages(sp, pipeline, ctx.processor.id, opts.uidValidity, toStore);
          // A large raw message is staged in slices first; its row must exist before the messages that name it.
          if (toStore.some((m) => m.raw.length > LARGE_BYTEA_BYTES)) await pipeline.drain();
          return toStore.map((m) => rawIds.get(m.uid)!);
        },
      });
      for (const [i, outcome] of outcomes.entries()) {
        results[round[i]!.index] = outcome.kind === 'same-mail' ? { kind: 'duplicate', why: 'same-mail' } : outcome;
      }
    });
    return handled;
  } catch (err) {
    if (isTransientDatabaseError(err)) throw err;
    // Planning failed for a list: the message at fault may be any of them; take the first alone.
    if (!alone && !planned && pending.length > 1) return ingestRound(tx, ctx, opts, pending, results, true);
    if (!alone && handled > 1) {
      for (let i = 0; i < handled; ) i += await ingestRound(tx, ctx, opts, pending.slice(i, handled), results, true);
      return handled;
    }
    const first = pending[0]!;
    results[first.index] = await quarantineMessage(tx, { ...mailboxOf(ctx, opts.uidValidity, first.message, opts.now), stage: progress.stage, error: describeError(err) });
    return 1;
  }
}

/** Sends the insert of a round's raw bytes; returns their ids (made here) by UID. */
function storeRawMessages(
  tx: Transaction,
  pipeline: StatementPipeline,
  processorId: string,
  uidValidity: number,
  messages: PreparedMessage[],
): Map<number, string> {
  const ids = new Map(messages.map((m) => [m.uid, randomUUID()]));
  if (messages.length === 0) return ids;
  const insert = withLargeBytea(
    tx,
    messages.map((m) => m.raw),
    (contents) =>
      runPrepared(
        tx
          .insert(rawMessages)
          .values(messages.map((m, i) => ({ id: ids.get(m.uid)!, processorId, uidValidity, uid: m.uid, size: m.raw.length, content: contents[i]! }))),
      ),
  );
  void pipeline.send('store', insert);
  return ids;
}
