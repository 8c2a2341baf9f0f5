import { describe, expect, it } from 'vitest';
import {
  lockRemainingMs,
  MAX_FAILURES,
  recordFailure,
  THROTTLE_LOCK_MS,
  THROTTLE_WINDOW_MS,
  throttleKey,
  type ThrottleState,
} from './throttle-policy';

const t0 = new Date('2026-01-01T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

function fail(kind: 'account' | 'address', times: number, at = t0): ThrottleState | undefined {
  let state: ThrottleState | undefined;
  for (let i = 0; i < times; i++) state = recordFailure(kind, state, at);
  return state;
}

describe('sign-in throttle policy', () => {
  it('lets an account try again after fewer failures than the limit', () => {
    expect(lockRemainingMs(fail('account', MAX_FAILURES.account - 1), t0)).toBe(0);
  });

  it('locks an account for the lock period at the limit', () => {
    const state = fail('account', MAX_FAILURES.account);
    expect(lockRemainingMs(state, t0)).toBe(THROTTLE_LOCK_MS);
    expect(lockRemainingMs(state, later(THROTTLE_LOCK_MS))).toBe(0);
  });

  it('allows an address more failures than an account before locking it', () => {
    expect(lockRemainingMs(fail('address', MAX_FAILURES.account), t0)).toBe(0);
    expect(lockRemainingMs(fail('address', MAX_FAILURES.address), t0)).toBeGreaterThan(0);
  });

  it('starts counting again once the window has passed', () => {
    const state = fail('account', MAX_FAILURES.account - 1);
    const next = recordFailure('account', state, later(THROTTLE_WINDOW_MS + 1));
    expect(next.failures).toBe(1);
    expect(next.lockedUntil).toBeNull();
  });

  it('keys accounts case-insensitively', () => {
    expect(throttleKey('account', ' Jane@Example.COM ')).toBe(throttleKey('account', 'jane@example.com'));
  });
});
