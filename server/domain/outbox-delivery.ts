// What the case page says about an outbound message (an auto-reply) from its outbox row: queued,
// waiting for a transport, retrying, failed for good, or sent. A message is "sent by Leopard" only
// when the outbox recorded the send; anything else says that it was not sent and why.

export type OutboxRowState = {
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  lastErrorKind: 'no_transport' | 'transport' | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
};

export type OutboxDelivery =
  | { state: 'sent'; sentAt: Date | null }
  | { state: 'queued' }
  /** The worker has no outgoing transport; `final` once it gave up retrying. */
  | { state: 'no_transport'; final: boolean; error: string | null }
  | { state: 'retrying'; attempts: number; error: string | null; nextAttemptAt: Date }
  | { state: 'failed'; attempts: number; error: string | null };

export function outboxDelivery(row: OutboxRowState): OutboxDelivery {
  if (row.status === 'sent') return { state: 'sent', sentAt: row.sentAt };
  if (row.lastErrorKind === 'no_transport') return { state: 'no_transport', final: row.status === 'failed', error: row.lastError };
  if (row.status === 'failed') return { state: 'failed', attempts: row.attempts, error: row.lastError };
  // A claim counts an attempt before it is made; only a recorded error makes it a retry.
  if (row.lastError) return { state: 'retrying', attempts: row.attempts, error: row.lastError, nextAttemptAt: row.nextAttemptAt };
  return { state: 'queued' };
}

export type DeliveryLabel = { label: string; tone: 'ok' | 'warn' | 'error'; detail: string | null };

export function describeOutboxDelivery(delivery: OutboxDelivery): DeliveryLabel {
  switch (delivery.state) {
    case 'sent':
      return { label: 'sent by Leopard', tone: 'ok', detail: null };
    case 'queued':
      return { label: 'queued, not sent yet', tone: 'warn', detail: null };
    case 'no_transport':
      return {
        label: delivery.final ? 'not sent: no outgoing mail transport' : 'not sent: no outgoing mail transport configured',
        tone: 'error',
        detail: delivery.final
          ? 'Leopard gave up: no outgoing mail transport (RESEND_API_KEY or SMTP_URL) was configured on the worker.'
          : 'Waiting: configure RESEND_API_KEY or SMTP_URL on the worker and it is sent on the next attempt.',
      };
    case 'retrying':
      return { label: 'not sent yet: retrying', tone: 'warn', detail: `Attempt ${delivery.attempts} failed: ${delivery.error ?? 'unknown error'}` };
    case 'failed':
      return { label: 'not sent: failed', tone: 'error', detail: `Gave up after ${delivery.attempts} attempts: ${delivery.error ?? 'unknown error'}` };
  }
}
