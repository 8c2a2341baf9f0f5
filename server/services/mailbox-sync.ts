// The sync cursor and the state the admin sees, as the worker's mailbox session moves through
// connect → (import) → idle, or error. The cursor itself (last_uid) advances only inside ingest's
// transaction; this module decides where a sync starts and records what the session observes.
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { emailProcessors } from '../db/schema';

export type SyncStart = {
  uidValidity: number;
  lastUid: number;
  /** Messages up to this UID were in the mailbox when it was first seen: an import. */
  importUntilUid: number;
  /** A new mailbox, or one whose UIDVALIDITY changed: the cursor restarted. */
  restarted: boolean;
};

/**
 * Called after SELECT INBOX. The first time (or when UIDVALIDITY changed, which makes every
 * stored UID meaningless) the cursor restarts at 0 and everything up to UIDNEXT-1 is an import:
 * old mail gets no auto-replies, and a resync skips mail already stored (same Message-ID, same bytes:
 * server/services/same-mail.ts).
 */
export async function beginSync({
  db,
  processorId,
  uidValidity,
  uidNext,
}: {
  db: Database;
  processorId: string;
  uidValidity: number;
  uidNext: number;
}): Promise<SyncStart> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ uidValidity: emailProcessors.uidValidity, lastUid: emailProcessors.lastUid, importUntilUid: emailProcessors.importUntilUid })
      .from(emailProcessors)
      .where(eq(emailProcessors.id, processorId))
      .for('update');
    if (!row) throw new Error(`processor ${processorId} no longer exists`);
    if (row.uidValidity === uidValidity && row.importUntilUid !== null) {
      return { uidValidity, lastUid: row.lastUid, importUntilUid: row.importUntilUid, restarted: false };
    }
    const importUntilUid = Math.max(0, uidNext - 1);
    await tx
      .update(emailProcessors)
      .set({ uidValidity, lastUid: 0, importUntilUid, importDone: 0, importTotal: 0 })
      .where(eq(emailProcessors.id, processorId));
    return { uidValidity, lastUid: 0, importUntilUid, restarted: true };
  });
}

export type SessionStatus =
  | { status: 'connecting' }
  /** total: messages in this import; ingest counts import_done as it commits them. */
  | { status: 'importing'; total: number }
  | { status: 'idle' }
  | { status: 'error'; error: string };

export async function reportSessionStatus({ db, processorId, report }: { db: Database; processorId: string; report: SessionStatus }) {
  const now = new Date();
  await db
    .update(emailProcessors)
    .set({
      syncStatus: report.status,
      ...(report.status === 'importing' ? { importTotal: report.total } : {}),
      ...(report.status === 'idle' ? { lastSuccessAt: now, lastError: null } : {}),
      ...(report.status === 'error' ? { lastError: report.error, lastErrorAt: now } : {}),
      // Keep updated_at for admin edits; status reports are not edits.
      updatedAt: sql`${emailProcessors.updatedAt}`,
    })
    .where(eq(emailProcessors.id, processorId));
}

export async function readSessionSettings({ db, processorId }: { db: Database; processorId: string }) {
  const [row] = await db
    .select({ emailAddress: emailProcessors.emailAddress, markSeen: emailProcessors.markSeen, importDone: emailProcessors.importDone })
    .from(emailProcessors)
    .where(eq(emailProcessors.id, processorId));
  return row ?? null;
}

