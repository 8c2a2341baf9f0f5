// The outbox: mail decided inside a transaction (an auto-reply with its case, an agent's reply with its
// thread entry) and sent after commit by the worker (worker/outbox-sender.ts).
//
// The life of a row (README "Exactly once"):
//   pending ──claim──▶ sending ──server accepted──▶ sent        (sent copy: pending → done | failed, retried)
//                        │  ├──refused 4xx / not reached──▶ pending (retrying, last_error) … ▶ failed
//                        │  ├──refused 5xx──▶ failed (the server's words)
//                        │  └──answer lost after the message was handed over──▶ unknown
//                        └──worker died: claim recovered ──▶ pending   (no handover began, or Resend: idempotent)
//                                                       └──▶ unknown   (SMTP handover had begun)
// A claim sets status 'sending' with a fresh attempt token and commits before the worker talks to the
// server; outcomes are recorded only under that token, so a recovered claim cannot be overwritten by a
// slow worker's late answer and no row is handed to two senders. Rows in 'unknown' are never resent by
// themselves: an agent retries them (server/services/case-replies.ts retryOutbound).
// Every change of state NOTIFYs case.updated for the row's case, so the thread shows it live.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client';
import { attachments, caseMessages, cases, outbox } from '../db/schema';
import { backoffDelayMs, OUTBOX_BACKOFF, OUTBOX_MAX_ATTEMPTS, SENT_COPY_BACKOFF, SENT_COPY_MAX_ATTEMPTS } from '../domain/retry-backoff';
import { liveWorker } from './worker-liveness';
import { caseEventSummary, publishCaseEvent } from './case-events';

/** NOTIFY payload: an outbox row id to send now (the worker LISTENs; its timer is the safety net). */
export const OUTBOX_CHANNEL = 'leopard_outbox';

export type OutboxMail = typeof outbox.$inferSelect;
export type ClaimedMail = OutboxMail & { attemptToken: string };

export type ClaimDueOutboxOptions = {
  db: Database;
  limit: number;
  /** How long a claim holds at most, even while its worker keeps beating (a send that hangs). */
  claimMs: number;
  /** The claiming worker; a claim of a worker that is not live (server/services/worker-liveness.ts) is recovered. */
  workerId?: string | null;
  /** A worker heartbeat older than this is a dead worker (so is one whose liveness lock was freed). */
  workerLiveMs?: number;
};

/**
 * Recovers the claims of dead workers, then claims due rows. A recovered claim goes back to pending
 * when its handover had not begun, or when its transport is idempotent (Resend answers a repeated key with
 * the first result); otherwise it becomes 'unknown'.
 */
export async function claimDueOutbox({ db, limit, claimMs, workerId = null, workerLiveMs = 15_000 }: ClaimDueOutboxOptions): Promise<ClaimedMail[]> {
  await recoverStaleClaims({ db, workerLiveMs });
  const token = randomUUID();
  const rows = await db.execute<{ id: string }>(sql`
    update outbox
       set status = 'sending',
           attempts = attempts + 1,
           attempt_token = ${token},
           claimed_by = ${workerId},
           claimed_until = now() + make_interval(secs => ${claimMs / 1000}),
           handover_started_at = null,
           transport = null
     where id in (
       select id from outbox
        where status = 'pending' and next_attempt_at <= now()
        order by next_attempt_at
        limit ${limit}
        for update skip locked)
    returning id`);
  if (rows.length === 0) return [];
  const claimed = await db.select().from(outbox).where(sql`${outbox.id} in ${rows.map((r) => r.id)}`);
  await announce(db, claimed);
  return claimed as ClaimedMail[];
}

export async function recoverStaleClaims({ db, workerLiveMs }: { db: Database; workerLiveMs: number }): Promise<number> {
  const stale = sql`status = 'sending' and (claimed_until < now() or (claimed_by is not null and not exists (
      select 1 from workers w where w.id = outbox.claimed_by and ${liveWorker('w', workerLiveMs)})))`;
  const rows = await db.execute<{ id: string }>(sql`
    update outbox
       set status = case when handover_started_at is null or transport = 'resend' then 'pending'::outbox_status else 'unknown'::outbox_status end,
           last_error = case when handover_started_at is null or transport = 'resend' then last_error
             else 'The worker stopped after it began handing this mail to ' || coalesce(transport, 'the server')
               || ' and before it recorded the answer: it may have been delivered. Check with the recipient or the server log before sending it again.' end,
           last_error_kind = case when handover_started_at is null or transport = 'resend' then last_error_kind else 'transport'::outbox_error_kind end,
           -- An 'unknown' row keeps its token: if its worker was only slow, its answer is still recorded.
           attempt_token = case when handover_started_at is null or transport = 'resend' then null else attempt_token end,
           claimed_until = null,
           next_attempt_at = now()
     where id in (select id from outbox where ${stale} for update skip locked)
    returning id`);
  if (rows.length > 0) await announce(db, await db.select().from(outbox).where(sql`${outbox.id} in ${rows.map((r) => r.id)}`));
  return rows.length;
}

/** The claim's rows of the worker starting now: none of them can be in flight any more. */
export async function releaseOwnClaims({ db, workerId, workerLiveMs }: { db: Database; workerId: string; workerLiveMs: number }): Promise<void> {
  // A lapsed claim is recovered whatever its worker's heartbeat says; other workers' claims are left alone.
  await db.execute(sql`update outbox set claimed_until = now() - interval '1 second' where status = 'sending' and claimed_by = ${workerId}`);
  await recoverStaleClaims({ db, workerLiveMs });
}

/** Recorded just before the message is handed over (SMTP MAIL FROM … DATA, or the Resend call). */
export async function markOutboxHandover({ db, mail, transport }: { db: Database; mail: ClaimedMail; transport: string }): Promise<void> {
  const rows = await db
    .update(outbox)
    .set({ handoverStartedAt: sql`now()`, transport })
    .where(sql`${outbox.id} = ${mail.id} and ${outbox.attemptToken} = ${mail.attemptToken} and ${outbox.status} = 'sending'`)
    .returning({ id: outbox.id });
  // Our claim was recovered by another worker (we looked dead): do not hand the mail over.
  if (rows.length === 0) throw new LostClaimError(mail.id);
}

export class LostClaimError extends Error {
  constructor(id: string) {
    super(`The claim on outbox row ${id} was taken over; this attempt stops.`);
    this.name = 'LostClaimError';
  }
}

export type MarkOutboxSentOptions = {
  db: Database;
  id: string;
  /** The claim's token; omitted only by tests that drive the outbox by hand. */
  attemptToken?: string | null;
  providerMessageId: string | null;
  serverResponse?: string | null;
};

export async function markOutboxSent({ db, id, attemptToken, providerMessageId, serverResponse = null }: MarkOutboxSentOptions) {
  const sentAt = new Date();
  await db.transaction(async (tx) => {
    const [sent] = await tx
      .update(outbox)
      .set({
        status: 'sent',
        sentAt,
        providerMessageId,
        serverResponse,
        lastError: null,
        lastErrorKind: null,
        claimedUntil: null,
        // The copy for the mailbox's Sent folder, when its processor keeps one.
        sentCopyStatus: sql`case when exists (select 1 from email_processors p where p.id = ${outbox.processorId} and p.copy_to_sent) then 'pending'::sent_copy_status else 'off'::sent_copy_status end`,
        sentCopyNextAt: sql`now()`,
      })
      // 'unknown' too: a worker thought dead whose answer arrives after all has the truth.
      .where(
        attemptToken
          ? sql`${outbox.id} = ${id} and ${outbox.attemptToken} = ${attemptToken} and ${outbox.status} in ('sending', 'unknown', 'pending')`
          : sql`${outbox.id} = ${id} and ${outbox.status} in ('sending', 'pending')`,
      )
      .returning();
    // The thread shows the message as sent from now on.
    if (sent?.caseMessageId) await tx.update(caseMessages).set({ sentAt }).where(eq(caseMessages.id, sent.caseMessageId));
    if (sent) await announce(tx, [sent]);
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
  /** The message may have been accepted (the answer was lost after the handover): 'unknown', never resent. */
  uncertain?: boolean;
};

export async function markOutboxAttemptFailed({ db, mail, error, kind, permanent, uncertain = false }: MarkOutboxAttemptFailedOptions) {
  const giveUp = permanent || mail.attempts >= OUTBOX_MAX_ATTEMPTS;
  await db.transaction(async (tx) => {
    const rows = await tx
      .update(outbox)
      .set({
        lastError: error,
        lastErrorKind: kind,
        status: uncertain ? 'unknown' : giveUp ? 'failed' : 'pending',
        claimedUntil: null,
        nextAttemptAt: new Date(Date.now() + backoffDelayMs(OUTBOX_BACKOFF, mail.attempts)),
      })
      .where(
        mail.attemptToken
          ? sql`${outbox.id} = ${mail.id} and ${outbox.attemptToken} = ${mail.attemptToken} and ${outbox.status} = 'sending'`
          : sql`${outbox.id} = ${mail.id} and ${outbox.status} in ('pending', 'sending')`,
      )
      .returning();
    await announce(tx, rows);
  });
}

// ---- The copy in the mailbox's Sent folder ----

export async function claimDueSentCopies({ db, limit, claimMs }: { db: Database; limit: number; claimMs: number }): Promise<OutboxMail[]> {
  const rows = await db.execute<{ id: string }>(sql`
    update outbox set sent_copy_next_at = now() + make_interval(secs => ${claimMs / 1000}), sent_copy_attempts = sent_copy_attempts + 1
     where id in (
       select id from outbox
        where sent_copy_status in ('pending', 'failed') and sent_copy_next_at <= now()
        order by sent_copy_next_at
        limit ${limit}
        for update skip locked)
    returning id`);
  if (rows.length === 0) return [];
  return db.select().from(outbox).where(sql`${outbox.id} in ${rows.map((r) => r.id)}`);
}

export async function markSentCopyDone({ db, id }: { db: Database; id: string }) {
  await db.transaction(async (tx) => {
    const rows = await tx.update(outbox).set({ sentCopyStatus: 'done', sentCopyError: null, sentCopyNextAt: null }).where(eq(outbox.id, id)).returning();
    await announce(tx, rows);
  });
}

/** A failed copy stays 'failed' with the reason and is tried again with backoff, up to SENT_COPY_MAX_ATTEMPTS. */
export async function markSentCopyFailed({ db, mail, error }: { db: Database; mail: OutboxMail; error: string }) {
  const again = mail.sentCopyAttempts < SENT_COPY_MAX_ATTEMPTS;
  await db.transaction(async (tx) => {
    const rows = await tx
      .update(outbox)
      .set({
        sentCopyStatus: 'failed',
        sentCopyError: error,
        sentCopyNextAt: again ? new Date(Date.now() + backoffDelayMs(SENT_COPY_BACKOFF, mail.sentCopyAttempts)) : null,
      })
      .where(eq(outbox.id, mail.id))
      .returning();
    await announce(tx, rows);
  });
}

/** case.updated for the cases of these rows, so the thread shows the new state at once. */
async function announce(db: DbOrTx, rows: OutboxMail[]): Promise<void> {
  for (const row of rows) {
    if (!row.caseId) continue;
    const [caseRow] = await db.select().from(cases).where(eq(cases.id, row.caseId));
    if (caseRow) await publishCaseEvent(db, { type: 'case.updated', case: caseEventSummary(caseRow), messageId: row.caseMessageId ?? undefined, actorId: null });
  }
}

/** The files of an outbound message (an agent's reply), in the order attached. */
export async function loadOutboxAttachments({ db, caseMessageId }: { db: DbOrTx; caseMessageId: string | null }) {
  if (!caseMessageId) return [];
  return db
    .select({ filename: attachments.filename, contentType: attachments.contentType, content: attachments.content })
    .from(attachments)
    .where(eq(attachments.caseMessageId, caseMessageId))
    .orderBy(attachments.createdAt, attachments.id);
}
