// Prometheus metrics of the worker, served on WORKER_PORT /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'leopard_worker_' });
  // Read when scraped: whether each session's connection is in IDLE right now (push is on).
  const idleProbes = new Map<string, () => boolean>();
  new Gauge({
    name: 'leopard_processor_idling',
    help: '1 while the processor connection waits in IMAP IDLE for the server to push new mail',
    labelNames: ['processor'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [processor, idling] of idleProbes) this.set({ processor }, idling() ? 1 : 0);
    },
  });
  return {
    registry,
    idleProbes,
    messagesIngested: new Counter({
      name: 'leopard_messages_ingested_total',
      help: 'Messages taken from mailboxes, by outcome (created, appended, duplicate, quarantined)',
      labelNames: ['processor', 'outcome'] as const,
      registers: [registry],
    }),
    ingestLag: new Histogram({
      name: 'leopard_ingest_lag_seconds',
      help: 'From the mailbox announcing a message to its case change being committed',
      labelNames: ['processor'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    sessionState: new Gauge({
      name: 'leopard_processor_connection_state',
      help: '1 for the state each held processor is in',
      labelNames: ['processor', 'state'] as const,
      registers: [registry],
    }),
    processorsHeld: new Gauge({ name: 'leopard_processors_held', help: 'Processors this worker holds a lease on', registers: [registry] }),
    sessionErrors: new Counter({
      name: 'leopard_session_errors_total',
      help: 'Mailbox connection or sync failures, by kind',
      labelNames: ['processor', 'code'] as const,
      registers: [registry],
    }),
    oauthRefreshFailures: new Counter({
      name: 'leopard_oauth_refresh_failures_total',
      help: 'Failed renewals of an OAuth2 mailbox access token (refused by the provider, or the provider unreachable)',
      labelNames: ['processor'] as const,
      registers: [registry],
    }),
    outboxSent: new Counter({ name: 'leopard_outbox_sent_total', help: 'Outbound mails sent', registers: [registry] }),
    outboxFailed: new Counter({ name: 'leopard_outbox_failed_attempts_total', help: 'Failed outbound send attempts', registers: [registry] }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
