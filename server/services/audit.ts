// Every admin change and agent action leaves a row: who, what, when. Callers pass their
// transaction so the record commits with the change it describes.
import { desc, lt } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { auditLog } from '../db/schema';

export type AuditActor = { id: string; email: string };

export type RecordAuditOptions = {
  db: DbOrTx;
  actor: AuditActor | null;
  action: string;
  entityType: string;
  entityId?: string | null;
  details?: Record<string, unknown>;
};

export async function recordAudit({ db, actor, action, entityType, entityId, details }: RecordAuditOptions): Promise<void> {
  await db.insert(auditLog).values({
    actorId: actor?.id ?? null,
    actorEmail: actor?.email ?? 'system',
    action,
    entityType,
    entityId: entityId ?? null,
    details: details ?? {},
  });
}

export type AuditEntry = {
  id: number;
  actorEmail: string;
  action: string;
  entityType: string;
  entityId: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
};

/** Newest first, keyset-paginated by id. */
export async function listAudit({ db, limit, beforeId }: { db: DbOrTx; limit: number; beforeId?: number | null }) {
  const rows: AuditEntry[] = await db
    .select({
      id: auditLog.id,
      actorEmail: auditLog.actorEmail,
      action: auditLog.action,
      entityType: auditLog.entityType,
      entityId: auditLog.entityId,
      details: auditLog.details,
      createdAt: auditLog.createdAt,
    })
    .from(auditLog)
    .where(beforeId ? lt(auditLog.id, beforeId) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(limit + 1);
  return { items: rows.slice(0, limit), nextBeforeId: rows.length > limit ? rows[limit - 1].id : null };
}
