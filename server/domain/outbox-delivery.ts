// What the case page says about an outbound message (an agent's reply or an auto-reply) from its outbox
// row: queued, sending, waiting for a transport, retrying (why), failed (the server's words), unknown (a
// worker died mid-handover: may have been delivered), sent (with the server's queue id), bounced. A message
// is "sent" only when the outbox recorded the server's acceptance; anything else says it was not, and why.

export type OutboxRowState = {
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'unknown';
  attempts: number;
  lastError: string | null;
  lastErrorKind: 'no_transport' | 'transport' | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
  /** The server's queue id from its acceptance ("queued as …"), or the provider's message id. */
  providerMessageId?: string | null;
  /** The server's whole acceptance line. */
  serverResponse?: string | null;
  bounce?: { recipient: string; status: string | null; diagnostic: string | null } | null;
};

export type OutboxDelivery =
  | { state: 'sent'; sentAt: Date | null; queueId?: string | null; serverResponse?: string | null }
  | { state: 'bounced'; sentAt: Date | null; recipient: string; status: string | null; diagnostic: string | null }
  | { state: 'queued' }
  | { state: 'sending'; attempts: number }
  /** The worker has no outgoing transport; `final` once it gave up retrying. */
  | { state: 'no_transport'; final: boolean; error: string | null }
  | { state: 'retrying'; attempts: number; error: string | null; nextAttemptAt: Date }
  | { state: 'failed'; attempts: number; error: string | null }
  /** A worker stopped after it began handing the mail over and before it recorded the answer. */
  | { state: 'unknown'; attempts: number; error: string | null };

export function outboxDelivery(row: OutboxRowState): OutboxDelivery {
  if (row.bounce) {
    return { state: 'bounced', sentAt: row.sentAt, recipient: row.bounce.recipient, status: row.bounce.status, diagnostic: row.bounce.diagnostic };
  }
  if (row.status === 'sent') {
    // The queue id of an SMTP server's 250 answer; a provider's message id (Resend) is not shown as one.
    const extra = row.serverResponse ? { queueId: row.providerMessageId ?? null, serverResponse: row.serverResponse } : {};
    return { state: 'sent', sentAt: row.sentAt, ...extra };
  }
  if (row.status === 'unknown') return { state: 'unknown', attempts: row.attempts, error: row.lastError };
  if (row.lastErrorKind === 'no_transport' && row.status !== 'sending') return { state: 'no_transport', final: row.status === 'failed', error: row.lastError };
  if (row.status === 'failed') return { state: 'failed', attempts: row.attempts, error: row.lastError };
  if (row.status === 'sending') return { state: 'sending', attempts: row.attempts };
  // A claim counts an attempt before it is made; only a recorded error makes it a retry.
  if (row.lastError) return { state: 'retrying', attempts: row.attempts, error: row.lastError, nextAttemptAt: row.nextAttemptAt };
  return { state: 'queued' };
}

/** Whether an agent may send this mail again by hand (the retry button). */
export function mayRetryByHand(delivery: OutboxDelivery): boolean {
  return delivery.state === 'failed' || delivery.state === 'unknown' || (delivery.state === 'no_transport' && delivery.final);
}

export type DeliveryLabel = { label: string; tone: 'ok' | 'warn' | 'error'; detail: string | null };

export function describeOutboxDelivery(delivery: OutboxDelivery): DeliveryLabel {
  switch (delivery.state) {
    case 'sent':
      return {
        label: delivery.queueId ? `sent (queue id ${delivery.queueId})` : 'sent by Leopard',
        tone: 'ok',
        detail: delivery.serverResponse ? `The server answered: ${delivery.serverResponse}` : null,
      };
    case 'bounced':
      return {
        label: `bounced: ${[delivery.recipient, delivery.status, delivery.diagnostic].filter(Boolean).join(' ')}`,
        tone: 'error',
        detail: 'A delivery status notification came back for this message.',
      };
    case 'queued':
      return { label: 'queued, not sent yet', tone: 'warn', detail: null };
    case 'sending':
      return { label: 'sending', tone: 'warn', detail: null };
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
    case 'unknown':
      return {
        label: 'unknown: check before sending again',
        tone: 'error',
        detail:
          delivery.error ??
          'The worker stopped while it was handing this mail to the server, before it heard the answer: the mail may have been delivered. Check with the recipient or the server log; Send again sends it once more.',
      };
  }
}
