// The sync cursor and the state the admin sees, as the worker's mailbox session moves through
// connect → (import) → idle, or error. The cursor itself (last_uid) advances only inside ingest's
// transaction; this module decides where a sync starts and records what the session observes.
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { emailProcessors } from '../db/schema';
import { nextUidNamespace, serverUidValidity } from '../domain/mailbox-listing';
import { RECENT_DELAYS_KEPT } from '../domain/push-timing';

export type SyncStart = {
  /** The UID namespace stored with each message: the server's UIDVALIDITY, or past 2^32 after a renumbering. */
  uidValidity: number;
  /** What the server reports as UIDVALIDITY for this cursor. */
  serverUidValidity: number;
  lastUid: number;
  /** Messages up to this UID were in the mailbox when it was first seen: an import. */
  importUntilUid: number;
  /** A new mailbox, or one whose UIDVALIDITY changed: the cursor restarted. */
  restarted: boolean;
  /** The import under way re-reads a mailbox after the first sync: mail not stored yet is live. */
  resync: boolean;
};

/**
 * Called after SELECT INBOX. The first time (or when UIDVALIDITY changed, which makes every
 * stored UID meaningless, or when the server numbered its messages again: `renumbered`) the cursor restarts
 * at 0 and everything up to UIDNEXT-1 is listed as an import: batched, counted "n of m", and a resync skips
 * mail already stored (same Message-ID, same bytes: server/services/same-mail.ts). Only the first sync is an
 * import in the seed's sense (no auto-replies); in a resync after it, mail not stored yet arrived after the
 * processor was set up, so it is live (import_is_resync).
 * `uidNext` comes from server/domain/mailbox-listing.ts resolveUidNext, never straight from a response code.
 */
export async function beginSync({
  db,
  processorId,
  uidValidity,
  uidNext,
  renumbered = false,
}: {
  db: Database;
  processorId: string;
  uidValidity: number;
  uidNext: number;
  renumbered?: boolean;
}): Promise<SyncStart> {
  if (!Number.isSafeInteger(uidValidity) || !Number.isSafeInteger(uidNext)) {
    throw new Error(`beginSync needs whole numbers, got UIDVALIDITY ${uidValidity} and UIDNEXT ${uidNext}`);
  }
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({
        uidValidity: emailProcessors.uidValidity,
        lastUid: emailProcessors.lastUid,
        importUntilUid: emailProcessors.importUntilUid,
        importIsResync: emailProcessors.importIsResync,
      })
      .from(emailProcessors)
      .where(eq(emailProcessors.id, processorId))
      .for('update');
    if (!row) throw new Error(`processor ${processorId} no longer exists`);
    const sameMailbox = row.uidValidity !== null && serverUidValidity(row.uidValidity) === uidValidity;
    if (!renumbered && sameMailbox && row.importUntilUid !== null) {
      return { uidValidity: row.uidValidity!, serverUidValidity: uidValidity, lastUid: row.lastUid, importUntilUid: row.importUntilUid, restarted: false, resync: row.importIsResync };
    }
    const namespace = renumbered && sameMailbox ? nextUidNamespace(row.uidValidity!) : uidValidity;
    const importUntilUid = Math.max(0, uidNext - 1);
    // A cursor that existed means the first sync happened under an earlier UIDVALIDITY (or numbering).
    const resync = row.importUntilUid !== null && row.uidValidity !== null;
    await tx
      .update(emailProcessors)
      .set({ uidValidity: namespace, lastUid: 0, importUntilUid, importDone: 0, importTotal: 0, importIsResync: resync, updatedAt: sql`${emailProcessors.updatedAt}` })
      .where(eq(emailProcessors.id, processorId));
    return { uidValidity: namespace, serverUidValidity: uidValidity, lastUid: 0, importUntilUid, restarted: true, resync };
  });
}

export type SessionStatus =
  | { status: 'connecting' }
  /** total: messages in this import; ingest counts import_done as it commits them. */
  | { status: 'importing'; total: number }
  | { status: 'idle' }
  | { status: 'error'; error: string; code: string };

export async function reportSessionStatus({ db, processorId, report }: { db: Database; processorId: string; report: SessionStatus }) {
  const now = new Date();
  await db
    .update(emailProcessors)
    .set({
      syncStatus: report.status,
      ...(report.status === 'importing' ? { importTotal: report.total } : {}),
      ...(report.status === 'idle' ? { lastSuccessAt: now, lastError: null, lastErrorCode: null } : {}),
      ...(report.status === 'error' ? { lastError: report.error, lastErrorCode: report.code, lastErrorAt: now } : {}),
      // Keep updated_at for admin edits; status reports are not edits.
      updatedAt: sql`${emailProcessors.updatedAt}`,
    })
    .where(eq(emailProcessors.id, processorId));
}

export async function readSessionSettings({ db, processorId }: { db: Database; processorId: string }) {
  const [row] = await db
    .select({
      emailAddress: emailProcessors.emailAddress,
      markSeen: emailProcessors.markSeen,
      importDone: emailProcessors.importDone,
      checkIntervalSeconds: emailProcessors.checkIntervalSeconds,
      lastSuccessAt: emailProcessors.lastSuccessAt,
    })
    .from(emailProcessors)
    .where(eq(emailProcessors.id, processorId));
  return row ?? null;
}


/**
 * After live mail was stored: the delays measured (arrival → stored, server/domain/push-timing.ts) join the
 * last few kept, and `unannounced` records that a poll or check found mail the server had not announced.
 */
export async function recordDeliveries({ db, processorId, delaysMs, unannounced }: { db: Database; processorId: string; delaysMs: number[]; unannounced: boolean }) {
  if (delaysMs.length === 0 && !unannounced) return;
  const added = sql`${`{${delaysMs.map((d) => Math.round(d)).join(',')}}`}::integer[]`;
  await db
    .update(emailProcessors)
    .set({
      deliveryDelaysMs: sql`(array_cat(${emailProcessors.deliveryDelaysMs}, ${added}))[greatest(1, cardinality(${emailProcessors.deliveryDelaysMs}) + cardinality(${added}) - ${RECENT_DELAYS_KEPT - 1}):]`,
      ...(unannounced ? { unannouncedMailAt: new Date() } : {}),
      updatedAt: sql`${emailProcessors.updatedAt}`,
    })
    .where(eq(emailProcessors.id, processorId));
}

/** The server's answers disagreed (server/domain/mailbox-listing.ts); shown on the processor. */
export async function recordListingDiscrepancy({ db, processorId, discrepancy }: { db: Database; processorId: string; discrepancy: string }) {
  await db
    .update(emailProcessors)
    .set({ listingDiscrepancy: discrepancy, listingDiscrepancyAt: new Date(), updatedAt: sql`${emailProcessors.updatedAt}` })
    .where(eq(emailProcessors.id, processorId));
}
