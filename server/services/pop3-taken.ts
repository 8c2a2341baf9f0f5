// The UIDLs a POP3 processor has taken (pop3_taken), read and written inside ingest's transaction under the
// processor lock (server/services/ingest.ts), so a UIDL is recorded exactly when its mail is stored.
//
// Decisions:
// - A UIDL already taken with the size LIST gives now is the message taken before: skipped without a fetch.
// - The same UIDL with another size is a server that reused a UIDL for a new message (RFC 1939 forbids it,
//   some servers do it after a mailbox was rebuilt): it is taken again, and the same-mail rule (Message-ID and
//   bytes, server/services/same-mail.ts) decides whether it is mail already stored.
// - A server that gave every message a new UIDL (a migration) lists them all as new: the same-mail rule skips
//   each one already stored, as after an IMAP UIDVALIDITY change; nothing is doubled.
import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/client';
import { pop3Taken } from '../db/schema';

export type Pop3Message = { uidl: string; size: number };

/** Of these messages, the UIDLs already taken (with the same size). */
export async function findTakenUidls(tx: Transaction | Database, processorId: string, messages: Pop3Message[]): Promise<Set<string>> {
  if (messages.length === 0) return new Set();
  const rows = await tx
    .select({ uidl: pop3Taken.uidl, size: pop3Taken.size })
    .from(pop3Taken)
    .where(and(eq(pop3Taken.processorId, processorId), inArray(pop3Taken.uidl, messages.map((m) => m.uidl))));
  const sizes = new Map(rows.map((r) => [r.uidl, r.size]));
  return new Set(messages.filter((m) => sizes.get(m.uidl) === m.size).map((m) => m.uidl));
}

/** Records messages as taken, in the transaction that stored them. A reused UIDL's row is replaced. */
export async function recordTaken(tx: Transaction, processorId: string, taken: Array<Pop3Message & { uid: number }>, now: Date): Promise<void> {
  if (taken.length === 0) return;
  await tx
    .insert(pop3Taken)
    .values(taken.map((t) => ({ processorId, uidl: t.uidl, uid: t.uid, size: t.size, storedAt: now })))
    .onConflictDoUpdate({
      target: [pop3Taken.processorId, pop3Taken.uidl],
      set: { uid: sql`excluded.uid`, size: sql`excluded.size`, storedAt: sql`excluded.stored_at`, deletedAt: null },
    });
}

/** UIDLs (with the size they were taken with) stored at least `days` days ago and not deleted yet: due for deletion. */
export async function dueForDeletion(db: Database, processorId: string, days: number, now: Date): Promise<Map<string, number>> {
  const before = new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
  const rows = await db
    .select({ uidl: pop3Taken.uidl, size: pop3Taken.size })
    .from(pop3Taken)
    .where(and(eq(pop3Taken.processorId, processorId), isNull(pop3Taken.deletedAt), lte(pop3Taken.storedAt, before)));
  return new Map(rows.map((r) => [r.uidl, r.size]));
}

/** After the server confirmed the deletions (QUIT answered +OK). */
export async function markDeleted(db: Database, processorId: string, uidls: string[], now: Date): Promise<void> {
  if (uidls.length === 0) return;
  await db
    .update(pop3Taken)
    .set({ deletedAt: now })
    .where(and(eq(pop3Taken.processorId, processorId), inArray(pop3Taken.uidl, uidls)));
}
