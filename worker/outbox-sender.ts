// Sends the outbox after commit: agent replies and auto-replies, each through its processor's transport
// (the mailbox's own SMTP server, or the system transport: Resend / SMTP_URL), then stores the copy in the
// mailbox's Sent folder. Woken by a NOTIFY on OUTBOX_CHANNEL (a reply was committed, by any web instance),
// by the ingest that queued an auto-reply, and by a timer as the safety net for retries.
// The states and the exactly-once rules are in server/services/outbox.ts; this loop follows them:
// claim (status 'sending', committed) → load the transport → record the handover → send → record the
// outcome under the claim's token. A worker that starts recovers its own earlier claims first; claims of
// workers that died (a freed liveness lock, or a heartbeat older than LEASE_TTL_MS) are recovered by whoever claims next.
import type postgres from 'postgres';
import type { Database } from '../server/db/client';
import type { Logger } from '../server/log';
import { isAppError } from '../server/errors';
import { composeRawMessage } from '../server/mail/compose-raw';
import { loadProcessorSmtp } from '../server/services/outgoing-servers';
import { waitsForSignIn } from '../server/domain/oauth-sign-in';
import {
  type ClaimedMail,
  claimDueOutbox,
  claimDueSentCopies,
  loadOutboxAttachments,
  LostClaimError,
  markOutboxAttemptFailed,
  markOutboxHandover,
  markOutboxSent,
  markSentCopyDone,
  markSentCopyFailed,
  OUTBOX_CHANNEL,
  type OutboxMail,
  releaseOwnClaims,
} from '../server/services/outbox';
import { loadImapSettings } from '../server/services/processors';
import { type MailTransport, type OutgoingMessage, smtpTransport, TransportError } from './mail-transports';
import type { WorkerMetrics } from './metrics';
import { CoalescedRun } from './run-coalesced';
import { appendToSentFolder } from './sent-copy';

const OUTBOX_POLL_MS = 2_000;
const OUTBOX_BATCH = 20;
/** The longest a claim holds even while its worker lives: a send hung beyond this is someone else's. */
const OUTBOX_CLAIM_MS = 10 * 60_000;
/** An APPEND to the Sent folder that takes longer is tried again later. */
const SENT_COPY_CLAIM_MS = 2 * 60_000;
const NO_TRANSPORT_ERROR = 'No outbound mail transport is configured: set RESEND_API_KEY or SMTP_URL on the worker.';
/** Raw bytes of mail just sent by SMTP, kept until its Sent copy is stored, so the copy is the same bytes. */
const MAX_KEPT_RAW = 50;

export type OutboxSenderOptions = {
  db: Database;
  /** For LISTEN; null in tests that drive the sender by wake(). */
  sql: postgres.Sql | null;
  /** The worker's system transport (Resend / SMTP_URL), or null. */
  systemTransport: MailTransport | null;
  secretKey: Buffer;
  workerId: string;
  /** A worker heartbeat older than this is a dead worker (LEASE_TTL_MS); so is one whose liveness lock was freed. */
  workerLiveMs: number;
  log: Logger;
  metrics: WorkerMetrics;
};

export class OutboxSender {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly passes = new CoalescedRun({
    run: () => this.drain(),
    onError: (err) => this.o.log.error({ err }, 'outbox pass failed'),
    stopped: () => this.stopped,
  });
  private unlisten: (() => Promise<void>) | null = null;
  private readonly keptRaw = new Map<string, Buffer>();

  constructor(private readonly o: OutboxSenderOptions) {}

  async start(): Promise<void> {
    // Claims this worker id holds from before a restart cannot be in flight any more.
    await releaseOwnClaims({ db: this.o.db, workerId: this.o.workerId, workerLiveMs: this.o.workerLiveMs });
    if (this.o.sql) {
      const { unlisten } = await this.o.sql.listen(OUTBOX_CHANNEL, () => this.wake());
      this.unlisten = unlisten;
    }
    this.timer = setInterval(() => this.wake(), OUTBOX_POLL_MS);
    this.wake();
  }

  /** Runs a pass now, or right after the current one. */
  wake(): void {
    this.passes.request();
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = await claimDueOutbox({ db: this.o.db, limit: OUTBOX_BATCH, claimMs: OUTBOX_CLAIM_MS, workerId: this.o.workerId, workerLiveMs: this.o.workerLiveMs });
      for (const mail of due) {
        if (this.stopped) return;
        await this.sendOne(mail);
      }
      if (due.length < OUTBOX_BATCH) break;
    }
    await this.storeSentCopies();
  }

  private async transportFor(mail: OutboxMail): Promise<MailTransport | null> {
    const smtp = mail.processorId ? await loadProcessorSmtp({ db: this.o.db, processorId: mail.processorId, key: this.o.secretKey }) : null;
    return smtp ? smtpTransport(smtp.server, smtp.label) : this.o.systemTransport;
  }

  private async sendOne(mail: ClaimedMail): Promise<void> {
    const { db, log, metrics } = this.o;
    const what = mail.kind === 'reply' ? 'reply' : 'auto-reply';
    let transport: MailTransport | null;
    try {
      transport = await this.transportFor(mail);
    } catch (err) {
      // The processor's outgoing settings cannot be used (no host, a password bound to other settings).
      const message = isAppError(err) ? err.message : String(err);
      // An OAuth2 mailbox whose token cannot be had right now (provider unreachable, or waiting for Reconnect) is
      // retried with backoff: the mail goes out once the sign-in works again.
      await markOutboxAttemptFailed({ db, mail, error: message, kind: 'transport', permanent: isAppError(err) && !waitsForSignIn(err.code) });
      metrics.outboxFailed.inc();
      return;
    }
    if (!transport) {
      await markOutboxAttemptFailed({ db, mail, error: NO_TRANSPORT_ERROR, kind: 'no_transport', permanent: false });
      metrics.outboxFailed.inc();
      return;
    }
    try {
      const message = await this.messageOf(mail);
      const result = await transport.send(message, { beforeHandover: () => markOutboxHandover({ db, mail, transport: transport.name }) });
      await markOutboxSent({ db, id: mail.id, attemptToken: mail.attemptToken, providerMessageId: result.providerMessageId, serverResponse: result.serverResponse });
      if (result.raw) this.keepRaw(mail.id, result.raw);
      metrics.outboxSent.inc();
      log.info({ outboxId: mail.id, caseId: mail.caseId, transport: transport.name, queueId: result.providerMessageId }, `${what} sent`);
    } catch (err) {
      if (err instanceof LostClaimError) {
        log.warn({ outboxId: mail.id }, `${what} claim was taken over before the handover; not sent by this worker`);
        return;
      }
      const permanent = err instanceof TransportError && err.permanent;
      const uncertain = err instanceof TransportError && err.uncertain;
      const message = err instanceof Error ? err.message : String(err);
      await markOutboxAttemptFailed({ db, mail, error: message, kind: 'transport', permanent, uncertain });
      metrics.outboxFailed.inc();
      log.warn({ outboxId: mail.id, attempt: mail.attempts, permanent, uncertain, err: message }, `${what} not sent`);
    }
  }

  private async messageOf(mail: OutboxMail): Promise<OutgoingMessage> {
    const to = mail.toList.length > 0 ? mail.toList : [{ address: mail.toAddress, name: mail.toName }];
    return {
      from: { address: mail.fromAddress, name: mail.fromName },
      to,
      cc: mail.ccList,
      subject: mail.subject,
      text: mail.textBody,
      html: mail.htmlBody,
      headers: mail.headers,
      attachments: await loadOutboxAttachments({ db: this.o.db, caseMessageId: mail.kind === 'reply' ? mail.caseMessageId : null }),
      idempotencyKey: mail.idempotencyKey,
    };
  }

  private keepRaw(id: string, raw: Buffer) {
    this.keptRaw.set(id, raw);
    if (this.keptRaw.size > MAX_KEPT_RAW) this.keptRaw.delete(this.keptRaw.keys().next().value!);
  }

  private async storeSentCopies(): Promise<void> {
    const { db, log } = this.o;
    const due = await claimDueSentCopies({ db, limit: OUTBOX_BATCH, claimMs: SENT_COPY_CLAIM_MS });
    for (const mail of due) {
      if (this.stopped) return;
      try {
        if (!mail.processorId) throw new Error('The processor of this mail was deleted.');
        const settings = await loadImapSettings({ db, id: mail.processorId, key: this.o.secretKey });
        const raw = this.keptRaw.get(mail.id) ?? (await composeRawMessage({ ...(await this.messageOf(mail)), date: mail.sentAt ?? new Date() }));
        await appendToSentFolder(settings, raw, mail.sentAt ?? new Date());
        await markSentCopyDone({ db, id: mail.id });
        this.keptRaw.delete(mail.id);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await markSentCopyFailed({ db, mail, error: message });
        log.warn({ outboxId: mail.id, attempt: mail.sentCopyAttempts, err: message }, 'copy to the Sent folder failed; retried later');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.unlisten?.().catch(() => {});
    await this.passes.running;
    this.o.systemTransport?.close();
  }
}
