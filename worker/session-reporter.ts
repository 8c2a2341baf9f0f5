// What every kind of mailbox session (IMAP: worker/mailbox-session.ts, POP3: worker/pop3-session.ts) reports
// the same way: its state on the processor (server/services/mailbox-sync.ts), written only when it changed,
// and the connection-state gauge, removed when the session ends.
import { randomBytes } from 'node:crypto';
import type { Database } from '../server/db/client';
import { type AppError, isAppError } from '../server/errors';
import { type ImapErrorContext, internalFailure } from '../server/mail/describe-imap-error';
import { tokenRefusedByServer } from '../server/services/oauth-tokens';
import type { Logger } from '../server/log';
import type { IngestResult } from '../server/services/ingest';
import { reportSessionStatus, type SessionStatus } from '../server/services/mailbox-sync';
import type { WorkerMetrics } from './metrics';

const STATES = ['connecting', 'importing', 'idle', 'error'] as const;

/** One mailbox session of either kind, as the supervisor (worker/supervisor.ts) runs it. */
export interface MailboxSessionLike {
  readonly processorId: string;
  readonly settingsVersion: number;
  start(): void;
  stop(): Promise<void>;
}

export class SessionReporter {
  private last: string | null = null;

  constructor(
    private readonly db: Database,
    private readonly metrics: WorkerMetrics,
    private readonly processorId: string,
  ) {}

  async report(report: SessionStatus): Promise<void> {
    const key = JSON.stringify(report);
    if (key === this.last) return;
    this.last = key;
    for (const state of STATES) this.metrics.sessionState.set({ processor: this.processorId, state }, state === report.status ? 1 : 0);
    await reportSessionStatus({ db: this.db, processorId: this.processorId, report });
  }

  /** What ingest made of a batch: counted by outcome, quarantines logged, the sender woken for queued auto-replies. */
  ingested(results: IngestResult[], log: Logger, onMailQueued: () => void): void {
    let queued = false;
    for (const result of results) {
      this.metrics.messagesIngested.inc({ processor: this.processorId, outcome: result.kind });
      if (result.kind === 'created' && result.autoReplyQueued) queued = true;
      if (result.kind === 'quarantined') log.warn({ quarantineId: result.quarantineId, err: result.error }, 'message quarantined');
    }
    if (queued) onMailQueued();
  }

  /**
   * A session attempt failed: the admin's words for it (the mail server's doing, described by the session kind's
   * `describe`, a token refused by name for OAuth2, or Leopard's own failure with an id logged here in full),
   * counted, logged and reported on the processor. Returns what was reported.
   */
  async failed(
    err: unknown,
    o: {
      attempt: number;
      log: Logger;
      isServerError: (err: unknown) => boolean;
      describe: (err: unknown, ctx: ImapErrorContext) => AppError;
      server: { host: string; port: number; useSsl: boolean } | null;
      workedBefore: Date | null;
      /** OAuth2: the mailbox the token was sent for, so a refused login is not called a wrong password. */
      signedInAs: string | null;
    },
  ): Promise<AppError> {
    let problem: AppError;
    if (isAppError(err)) problem = err;
    else if (o.isServerError(err)) {
      const described = o.describe(err, { ...(o.server ?? {}), workedBefore: o.workedBefore });
      problem = o.signedInAs ? tokenRefusedByServer(described, o.server?.host ?? 'the mail server', o.signedInAs) : described;
    } else {
      const errorId = randomBytes(4).toString('hex');
      // drizzle wraps the database's error as "Failed query: …": its cause is the one that says why.
      o.log.error({ errorId, err, cause: (err as Error)?.cause, attempt: o.attempt }, 'mailbox session failed inside Leopard');
      problem = internalFailure(errorId);
    }
    this.metrics.sessionErrors.inc({ processor: this.processorId, code: problem.code });
    if (problem.code !== 'INTERNAL') o.log.warn({ code: problem.code, err: problem.message, attempt: o.attempt }, 'mailbox session failed');
    await this.report({ status: 'error', error: problem.message, code: problem.code }).catch((reportErr: unknown) =>
      o.log.error({ err: reportErr }, 'could not record the mailbox error'),
    );
    return problem;
  }

  /** The session ended: its gauges go. */
  ended(): void {
    for (const state of STATES) this.metrics.sessionState.remove({ processor: this.processorId, state });
  }
}
