// The outbox: mail decided inside an ingest transaction and sent after commit by the worker.
// A claim pushes next_attempt_at forward, which is the lock: a second sender skips the row until
// the claim lapses, so a crashed sender's mail is retried by someone else later.
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { caseMessages, outbox } from '../db/schema';
import { backoffDelayMs, OUTBOX_BACKOFF, OUTBOX_MAX_ATTEMPTS } from '../domain/retry-backoff';

export type OutboxMail = typeof outbox.$inferSelect;

export async function claimDueOutbox({ db, limit, claimMs }: { db: Database; limit: number; claimMs: number }): Promise<OutboxMail[]> {
  const rows = await db.execute<{ id: string }>(sql`
    update outbox
       set attempts = attempts + 1,
           next_attempt_at = now() + make_interval(secs => ${claimMs / 1000})
     where id in (
       select id from outbox
        where status = 'pending' and next_attempt_at <= now()
        order by next_attempt_at
        limit ${limit}
        for update skip locked)
    returning id`);
  if (rows.length === 0) return [];
  return db.select().from(outbox).where(sql`${outbox.id} in ${rows.map((r) => r.id)}`);
}

export async function markOutboxSent({ db, id, providerMessageId }: { db: Database; id: string; providerMessageId: string | null }) {
  const sentAt = new Date();
  await db.transaction(async (tx) => {
    const [sent] = await tx
      .update(outbox)
      .set({ status: 'sent', sentAt, providerMessageId, lastError: null, lastErrorKind: null })
      .where(and(eq(outbox.id, id), eq(outbox.status, 'pending')))
      .returning({ caseMessageId: outbox.caseMessageId });
    // The thread shows the auto-reply as sent from now on.
    if (sent?.caseMessageId) await tx.update(caseMessages).set({ sentAt }).where(eq(caseMessages.id, sent.caseMessageId));
  });
}

/** Records a failed attempt: retried later with backoff, or failed for good after the last one. */
export type MarkOutboxAttemptFailedOptions = {
  db: Database;
  mail: OutboxMail;
  error: string;
  /** 'no_transport': the worker has no way to send at all; 'transport': the provider or server failed. */
  kind: NonNullable<OutboxMail['lastErrorKind']>;
  permanent: boolean;
};

export async function markOutboxAttemptFailed({ db, mail, error, kind, permanent }: MarkOutboxAttemptFailedOptions) {
  const giveUp = permanent || mail.attempts >= OUTBOX_MAX_ATTEMPTS;
  await db
    .update(outbox)
    .set({
      lastError: error,
      lastErrorKind: kind,
      status: giveUp ? 'failed' : 'pending',
      nextAttemptAt: new Date(Date.now() + backoffDelayMs(OUTBOX_BACKOFF, mail.attempts)),
    })
    .where(eq(outbox.id, mail.id));
}
