// A bounce that joined a case through the message it returns (server/domain/bounce-thread.ts) is recorded as
// a bounce of that outbound message: the DSN's case message points at it (bounce_of_id), and the outbox row
// says "bounced: <recipient> <status> <diagnostic>" — the state the thread shows on the message. Runs in the
// intake's transaction, so the DSN and the bounce state commit together; the intake's case.updated event
// for the DSN tells browsers.
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { caseMessages, outbox } from '../db/schema';
import { bounceSummary } from '../domain/bounce-thread';
import type { DeliveryReport } from '../domain/delivery-status';

export type BounceEntry = { caseId: string; caseMessageId: string; report: DeliveryReport };

export async function recordBounces(tx: Transaction, entries: BounceEntry[]): Promise<void> {
  for (const entry of entries) {
    const ids = [entry.report.originalMessageId, ...[...entry.report.originalReferences].reverse()].filter((id): id is string => id !== null);
    if (ids.length === 0) continue;
    // The returned message itself when it is ours; else the latest of ours it references, in this case.
    const candidates = await tx
      .select({ id: caseMessages.id, messageId: caseMessages.messageId })
      .from(caseMessages)
      .where(and(eq(caseMessages.caseId, entry.caseId), eq(caseMessages.direction, 'outbound'), inArray(caseMessages.messageId, ids)))
      .orderBy(desc(caseMessages.createdAt));
    const ours = ids.map((id) => candidates.find((c) => c.messageId === id)).find((c) => c !== undefined);
    if (!ours) continue;
    await tx.update(caseMessages).set({ bounceOfId: ours.id }).where(eq(caseMessages.id, entry.caseMessageId));
    const summary = bounceSummary(entry.report);
    // A delay report is kept in the thread but does not make the message bounced; the first bounce wins.
    if (summary) {
      await tx
        .update(outbox)
        .set({ bounce: { ...summary, caseMessageId: entry.caseMessageId }, bouncedAt: new Date() })
        .where(and(eq(outbox.caseMessageId, ours.id), isNull(outbox.bounce)));
    }
  }
}
