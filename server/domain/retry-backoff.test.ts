import { describe, expect, it } from 'vitest';
import { backoffDelayMs, RECONNECT_BACKOFF } from './retry-backoff';

const middle = () => 0.5;

describe('retry backoff', () => {
  it('doubles from the base with each failure', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(RECONNECT_BACKOFF, a, middle))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('never waits longer than the cap, however many failures', () => {
    expect(backoffDelayMs(RECONNECT_BACKOFF, 50, () => 1)).toBe(RECONNECT_BACKOFF.maxMs);
  });

  it('spreads retries within the jitter band', () => {
    expect(backoffDelayMs(RECONNECT_BACKOFF, 3, () => 0)).toBe(3_200);
    expect(backoffDelayMs(RECONNECT_BACKOFF, 3, () => 1)).toBe(4_800);
  });
});
