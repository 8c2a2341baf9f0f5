// Sends the outbox after commit. Woken by the ingest that queued mail, and by a timer as a
// safety net for mail queued by another worker or due for a retry.
import type { Database } from '../server/db/client';
import type { Logger } from '../server/log';
import { claimDueOutbox, markOutboxAttemptFailed, markOutboxSent } from '../server/services/outbox';
import type { MailTransport } from './mail-transports';
import { TransportError } from './mail-transports';
import type { WorkerMetrics } from './metrics';

const OUTBOX_POLL_MS = 2_000;
const OUTBOX_BATCH = 20;
/** How long a claimed mail is ours; a send that takes longer is retried elsewhere. */
const OUTBOX_CLAIM_MS = 60_000;
const NO_TRANSPORT_ERROR = 'No outbound mail transport is configured: set RESEND_API_KEY or SMTP_URL on the worker.';

export class OutboxSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly transport: MailTransport | null,
    private readonly log: Logger,
    private readonly metrics: WorkerMetrics,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), OUTBOX_POLL_MS);
    this.wake();
  }

  /** Runs a pass now, or right after the current one. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err: unknown) => this.log.error({ err }, 'outbox pass failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = await claimDueOutbox({ db: this.db, limit: OUTBOX_BATCH, claimMs: OUTBOX_CLAIM_MS });
      if (due.length === 0) return;
      for (const mail of due) {
        if (this.stopped) return;
        if (!this.transport) {
          await markOutboxAttemptFailed({ db: this.db, mail, error: NO_TRANSPORT_ERROR, kind: 'no_transport', permanent: false });
          this.metrics.outboxFailed.inc();
          continue;
        }
        try {
          const result = await this.transport.send(mail);
          await markOutboxSent({ db: this.db, id: mail.id, providerMessageId: result.providerMessageId });
          this.metrics.outboxSent.inc();
          this.log.info({ outboxId: mail.id, caseId: mail.caseId }, 'auto-reply sent');
        } catch (err) {
          const permanent = err instanceof TransportError && err.permanent;
          const message = err instanceof Error ? err.message : String(err);
          await markOutboxAttemptFailed({ db: this.db, mail, error: message, kind: 'transport', permanent });
          this.metrics.outboxFailed.inc();
          this.log.warn({ outboxId: mail.id, attempt: mail.attempts, permanent, err: message }, 'auto-reply not sent');
        }
      }
      if (due.length < OUTBOX_BATCH) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    this.transport?.close();
  }
}
