// Is a message the same mail this mailbox already holds, or a different mail? Ingest (server/services/ingest.ts)
// skips the same mail again; the admin's retry from quarantine (server/services/quarantine.ts) resolves to it.
// The rule is applied in server/domain/plan-intake.ts to what findStoredByMessageId reads.
//
// Decision: a message is a duplicate only when it is the same mail: it has a Message-ID, and this mailbox
// (processor) already stored an inbound case message with that Message-ID whose raw bytes are exactly these
// (SHA-256 of the raw message, raw_messages.sha256), under another UID or another UIDVALIDITY.
// - Why bytes: the same mail seen again is the same stored copy handed back. After a UIDVALIDITY change the
//   server returns the identical bytes under new UIDs, and a client copying a message back into INBOX makes
//   an identical copy. A Message-ID alone is not enough: some senders and broken mailers reuse one Message-ID
//   for different mails (21 of the 41 mails of the chatwoot test corpus), and skipping those would lose them
//   silently, against "nothing lost" (DESIGN "The contract on mail").
// - Why a Message-ID as well: without one, two mails whose bytes agree cannot be told apart from one mail
//   seen twice (two identical notifications with no Message-ID and no Date); keeping both costs a visible
//   twin, merging them could lose one.
// - A server that rewrites headers when it copies or renumbers a mailbox (rare) hands back other bytes: the
//   copy is then kept as a message of its own, with the note below. Twice and visible beats lost.
// - A different mail under a Message-ID already stored is ingested like any other and threads as usual
//   (tag, In-Reply-To, References); its message (and its case, when it opens one) notes that the Message-ID
//   was already used. So (processor, Message-ID) is not unique in case_messages; ingest is serialised per
//   mailbox by the processor row lock, which is what keeps the same mail from being stored twice.
// - Only case messages count, not quarantine entries: a copy of a quarantined mail gets another try (and,
//   when that works, retrying the old entry resolves to it). Mail that cannot be parsed has no Message-ID we
//   can read, so it is never a duplicate: a UIDVALIDITY change quarantines it again under its new UID.
import { createHash } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { runPrepared } from '../db/prepared';
import { caseMessages, cases, rawMessages } from '../db/schema';
import type { StoredByMessageId } from '../domain/plan-intake';

/** The hex SHA-256 Postgres computes for raw_messages.sha256, computed here for bytes not yet stored. */
export function rawSha256(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

export type { StoredByMessageId };

/**
 * This mailbox's stored inbound case messages that carry one of `messageIds`, oldest first, with the hash of
 * their raw bytes: the same mail again has one with its hash (ingest skips it, a retry resolves to it); a
 * different mail under a used id gets a note naming the first one's case (server/domain/plan-intake.ts).
 */
export async function findStoredByMessageId(tx: Transaction, processorId: string, messageIds: string[]): Promise<StoredByMessageId[]> {
  if (messageIds.length === 0) return [];
  const rows = await runPrepared(
    tx
      .select({ messageId: caseMessages.messageId, caseMessageId: caseMessages.id, caseNumber: cases.number, sha256: rawMessages.sha256 })
      .from(caseMessages)
      .innerJoin(cases, eq(cases.id, caseMessages.caseId))
      .leftJoin(rawMessages, eq(rawMessages.id, caseMessages.rawMessageId))
      // Written to match the partial index case_messages_processor_message_id_idx.
      .where(and(eq(caseMessages.processorId, processorId), inArray(caseMessages.messageId, messageIds), sql`${caseMessages.direction} = 'inbound'`))
      .orderBy(asc(caseMessages.createdAt), asc(caseMessages.id)),
  );
  return rows.flatMap((r) => (r.messageId === null ? [] : [{ ...r, messageId: r.messageId }]));
}
