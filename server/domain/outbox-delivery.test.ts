import { describe, expect, it } from 'vitest';
import { describeOutboxDelivery, outboxDelivery, type OutboxRowState } from './outbox-delivery';

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
