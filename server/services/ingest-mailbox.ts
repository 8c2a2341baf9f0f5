// The email processor row as the ingest path uses it: locked for the length of an ingest transaction
// (which serialises ingest per mailbox: two sessions, or a session and an admin's retry, never interleave),
// and its UID cursor advanced in the same transaction that stores the messages.
// Where a sync starts, and what happens when UIDVALIDITY changes, is server/services/mailbox-sync.ts.
import { eq, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { runPrepared } from '../db/prepared';
import { emailProcessors } from '../db/schema';
import { AppError } from '../errors';

export type IngestProcessor = {
  id: string;
  emailAddress: string;
  name: string;
  autoReply: boolean;
  uidValidity: number | null;
  lastUid: number;
  importUntilUid: number | null;
  /** Sender authenticity (server/domain/authentication-results.ts): whose results to read, and what a DMARC failure does. */
  authservId: string | null;
  dmarcFailNewContact: boolean;
  dmarcFailNoAutoReply: boolean;
  dmarcFailFlag: boolean;
};

/**
 * `select … for no key update` on the processor. With `uidValidity`, refuses a session whose UIDVALIDITY is not
 * the processor's: its UIDs name other messages now, so its cursor must be restarted (beginSync) first.
 * Such a refusal is about the session, not the message, so it is thrown rather than quarantined.
 */
export async function lockProcessorForIngest(
  tx: Transaction,
  processorId: string,
  uidValidity: number | null,
): Promise<IngestProcessor> {
  const [row] = await runPrepared(
    tx
      .select({
        id: emailProcessors.id,
        emailAddress: emailProcessors.emailAddress,
        name: emailProcessors.name,
        autoReply: emailProcessors.autoReply,
        uidValidity: emailProcessors.uidValidity,
        lastUid: emailProcessors.lastUid,
        importUntilUid: emailProcessors.importUntilUid,
        authservId: emailProcessors.authservId,
        dmarcFailNewContact: emailProcessors.dmarcFailNewContact,
        dmarcFailNoAutoReply: emailProcessors.dmarcFailNoAutoReply,
        dmarcFailFlag: emailProcessors.dmarcFailFlag,
      })
      .from(emailProcessors)
      .where(eq(emailProcessors.id, processorId))
      // Serializes a mailbox's ingests without blocking a lease taken on it (its foreign key's KEY SHARE).
      .for('no key update'),
  );
  if (!row) throw new AppError('NOT_FOUND', `Email processor ${processorId} does not exist (deleted while its mailbox was being read?).`);
  if (uidValidity !== null && row.uidValidity !== null && row.uidValidity !== uidValidity) {
    throw new AppError(
      'CONFLICT',
      `The mailbox's UIDVALIDITY is ${row.uidValidity} in the database but ${uidValidity} in this session; restart the sync before ingesting.`,
    );
  }
  return row;
}

export type AdvanceCursorOptions = {
  processorId: string;
  uidValidity: number;
  /** The highest UID handled in this transaction; the cursor never moves backwards. */
  uid: number;
  /** How many of the messages were part of the initial import (progress "n of m"). */
  importedCount: number;
  now: Date;
};

export async function advanceCursor(tx: Transaction, opts: AdvanceCursorOptions): Promise<void> {
  await runPrepared(
    tx
      .update(emailProcessors)
      .set({
        uidValidity: opts.uidValidity,
        lastUid: sql`greatest(${emailProcessors.lastUid}, ${opts.uid})`,
        importDone: sql`${emailProcessors.importDone} + ${opts.importedCount}`,
        lastSuccessAt: opts.now,
        // The cursor moving is not an admin's edit of the processor.
        updatedAt: sql`${emailProcessors.updatedAt}`,
      })
      .where(eq(emailProcessors.id, opts.processorId)),
  );
}
