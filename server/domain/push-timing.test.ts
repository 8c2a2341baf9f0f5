import { describe, expect, it } from 'vitest';
import { deliveryDelayMs, foundUnannounced, keepRecentDelays, LATE_PUSH_MS, RECENT_DELAYS_KEPT, summariseDelays } from './push-timing';

describe('push timing', () => {
  const stored = new Date('2026-12-01T10:00:59Z');

  it('measures a message from its arrival in the mailbox to its storing, never below zero', () => {
    expect(deliveryDelayMs(new Date('2026-12-01T10:00:03Z'), stored)).toBe(56_000);
    expect(deliveryDelayMs(new Date('2026-12-01T10:01:05Z'), stored)).toBe(0);
    expect(deliveryDelayMs(null, stored)).toBeNull();
  });

  it('counts mail as unannounced when the server did not push it and it was found late', () => {
    expect(foundUnannounced({ announcedByPush: false, delayMs: 56_000 })).toBe(true);
    expect(foundUnannounced({ announcedByPush: true, delayMs: 56_000 })).toBe(false);
    // Arrived while a sync ran: found at once by the next one, not a sign of slow push.
    expect(foundUnannounced({ announcedByPush: false, delayMs: LATE_PUSH_MS - 1 })).toBe(false);
  });

  it('keeps the delays of the last messages, newest last', () => {
    const many = Array.from({ length: RECENT_DELAYS_KEPT }, (_, i) => i);
    expect(keepRecentDelays(many, [100, 200])).toEqual([...many.slice(2), 100, 200]);
  });

  it('summarises delays as median and maximum', () => {
    expect(summariseDelays([])).toBeNull();
    expect(summariseDelays([1000, 56_000, 2000])).toEqual({ count: 3, medianMs: 2000, maxMs: 56_000 });
    expect(summariseDelays([1000, 3000])).toEqual({ count: 2, medianMs: 2000, maxMs: 3000 });
  });
});
