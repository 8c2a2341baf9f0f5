// Every admin change and agent action leaves a row: who, what, when. Callers pass their
// transaction so the record commits with the change it describes.
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
