// What every kind of mailbox session (IMAP: worker/mailbox-session.ts, POP3: worker/pop3-session.ts) reports
// the same way: its state on the processor (server/services/mailbox-sync.ts), written only when it changed,
// and the connection-state gauge, removed when the session ends.
import type { Database } from '../server/db/client';
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

  /** The session ended: its gauges go. */
  ended(): void {
    for (const state of STATES) this.metrics.sessionState.remove({ processor: this.processorId, state });
  }
}
