// How failed sign-ins slow an attacker down. Counted per account and per client address:
// a few wrong passwords lock one account for a while; many from one address lock that address.

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const THROTTLE_LOCK_MS = 15 * 60 * 1000;
export const MAX_FAILURES = { account: 5, address: 20 } as const;

export type ThrottleKind = keyof typeof MAX_FAILURES;

export type ThrottleState = { failures: number; windowStartedAt: Date; lockedUntil: Date | null };

export function throttleKey(kind: ThrottleKind, value: string): string {
  return `${kind}:${value.trim().toLowerCase()}`;
}

/** Milliseconds until the key may try again, or 0 when it may try now. */
export function lockRemainingMs(state: ThrottleState | undefined, now: Date): number {
  if (!state?.lockedUntil) return 0;
  return Math.max(0, state.lockedUntil.getTime() - now.getTime());
}

/** The state after one more failure. */
export function recordFailure(kind: ThrottleKind, state: ThrottleState | undefined, now: Date): ThrottleState {
  const windowExpired = !state || now.getTime() - state.windowStartedAt.getTime() > THROTTLE_WINDOW_MS;
  const failures = windowExpired ? 1 : state.failures + 1;
  const windowStartedAt = windowExpired ? now : state.windowStartedAt;
  const lockedUntil = failures >= MAX_FAILURES[kind] ? new Date(now.getTime() + THROTTLE_LOCK_MS) : null;
  return { failures, windowStartedAt, lockedUntil };
}
