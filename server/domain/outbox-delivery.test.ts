import { describe, expect, it } from 'vitest';
import { describeOutboxDelivery, mayRetryByHand, outboxDelivery, type OutboxRowState } from './outbox-delivery';

const NEXT = new Date('2026-12-01T10:00:00Z');
const row = (over: Partial<OutboxRowState>): OutboxRowState => ({
  status: 'pending',
  attempts: 0,
  lastError: null,
  lastErrorKind: null,
  nextAttemptAt: NEXT,
  sentAt: null,
  ...over,
});
const NO_TRANSPORT = 'No outbound mail transport is configured: set RESEND_API_KEY or SMTP_URL on the worker.';

describe('the delivery state of an auto-reply', () => {
  it('is "sent by Leopard" only when the outbox recorded the send', () => {
    const sentAt = new Date('2026-12-01T09:00:00Z');
    expect(outboxDelivery(row({ status: 'sent', attempts: 1, sentAt }))).toEqual({ state: 'sent', sentAt });
    expect(describeOutboxDelivery(outboxDelivery(row({ status: 'sent', sentAt }))).label).toBe('sent by Leopard');
    for (const other of [
      row({}),
      row({ attempts: 1 }),
      row({ attempts: 2, lastError: 'timeout', lastErrorKind: 'transport' }),
      row({ status: 'failed', attempts: 10, lastError: 'refused', lastErrorKind: 'transport' }),
      row({ attempts: 1, lastError: NO_TRANSPORT, lastErrorKind: 'no_transport' }),
    ]) {
      expect(describeOutboxDelivery(outboxDelivery(other)).label).not.toContain('sent by Leopard');
    }
  });

  it('is queued while no attempt has failed, even once claimed', () => {
    expect(outboxDelivery(row({}))).toEqual({ state: 'queued' });
    expect(outboxDelivery(row({ attempts: 1 }))).toEqual({ state: 'queued' });
  });

  it('says that no outgoing transport is configured, waiting or given up', () => {
    expect(outboxDelivery(row({ attempts: 1, lastError: NO_TRANSPORT, lastErrorKind: 'no_transport' }))).toEqual({
      state: 'no_transport',
      final: false,
      error: NO_TRANSPORT,
    });
    const waiting = describeOutboxDelivery(outboxDelivery(row({ attempts: 1, lastError: NO_TRANSPORT, lastErrorKind: 'no_transport' })));
    expect(waiting).toMatchObject({ label: 'not sent: no outgoing mail transport configured', tone: 'error' });
    const gaveUp = outboxDelivery(row({ status: 'failed', attempts: 10, lastError: NO_TRANSPORT, lastErrorKind: 'no_transport' }));
    expect(gaveUp).toMatchObject({ state: 'no_transport', final: true });
    expect(describeOutboxDelivery(gaveUp).detail).toContain('gave up');
  });

  it('is retrying after a transport error, and failed with the reason once it gave up', () => {
    expect(outboxDelivery(row({ attempts: 2, lastError: 'SMTP server refused the mail: 451', lastErrorKind: 'transport' }))).toEqual({
      state: 'retrying',
      attempts: 2,
      error: 'SMTP server refused the mail: 451',
      nextAttemptAt: NEXT,
    });
    const failed = describeOutboxDelivery(outboxDelivery(row({ status: 'failed', attempts: 10, lastError: 'Resend refused the mail', lastErrorKind: 'transport' })));
    expect(failed).toEqual({ label: 'not sent: failed', tone: 'error', detail: 'Gave up after 10 attempts: Resend refused the mail' });
  });
});

describe('the delivery state of an agent reply', () => {
  it('shows the server queue id of a sent reply', () => {
    const sentAt = new Date('2026-12-01T09:00:00Z');
    const d = outboxDelivery(row({ status: 'sent', sentAt, providerMessageId: 'A1B2C3', serverResponse: '250 2.0.0 Ok: queued as A1B2C3' }));
    expect(d).toEqual({ state: 'sent', sentAt, queueId: 'A1B2C3', serverResponse: '250 2.0.0 Ok: queued as A1B2C3' });
    expect(describeOutboxDelivery(d).label).toBe('sent (queue id A1B2C3)');
    // Resend's message id is no SMTP queue id: the label stays as for auto-replies.
    expect(describeOutboxDelivery(outboxDelivery(row({ status: 'sent', sentAt, providerMessageId: 're_123' }))).label).toBe('sent by Leopard');
  });

  it('says bounced with the recipient, status and diagnostic once a DSN names the reply', () => {
    const d = outboxDelivery(
      row({ status: 'sent', sentAt: NEXT, bounce: { recipient: 'jane@example.com', status: '5.1.1', diagnostic: '550 5.1.1 no such user' } }),
    );
    expect(describeOutboxDelivery(d).label).toBe('bounced: jane@example.com 5.1.1 550 5.1.1 no such user');
  });

  it('is sending while claimed, and unknown when a worker died mid-handover; both unknown and failed may be retried by hand', () => {
    expect(outboxDelivery(row({ status: 'sending', attempts: 1 }))).toEqual({ state: 'sending', attempts: 1 });
    const unknown = outboxDelivery(row({ status: 'unknown', attempts: 1 }));
    expect(unknown.state).toBe('unknown');
    expect(describeOutboxDelivery(unknown).detail).toContain('may have been delivered');
    expect(mayRetryByHand(unknown)).toBe(true);
    expect(mayRetryByHand(outboxDelivery(row({ status: 'failed', attempts: 10, lastError: '550', lastErrorKind: 'transport' })))).toBe(true);
    expect(mayRetryByHand(outboxDelivery(row({ status: 'sent', sentAt: NEXT })))).toBe(false);
  });
});
