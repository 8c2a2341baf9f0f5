// How sign-in attempts are bounded (OWASP's "device cookie" scheme, plus a per-address limit).
// - A browser that has signed in to this account before (it shows a valid device cookie, see
//   device-cookie.ts) is counted on its own: 5 attempts per window for that browser. Strangers'
//   guesses never lock it, so someone without the password cannot lock the owner out.
// - Every other client is counted against the account (5 per window from all addresses together)
//   and against its address (20 per window, many accounts from one place).
// An attempt is counted *before* its password is checked (server/services/sign-in.ts does that in
// one atomic statement per key), so parallel guesses cannot all pass the same check. A successful
// sign-in resets the counter it was counted against and gives its place back to the address.

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const THROTTLE_LOCK_MS = 15 * 60 * 1000;
export const MAX_FAILURES = { account: 5, address: 20, device: 5 } as const;

export type ThrottleKind = keyof typeof MAX_FAILURES;
export type ThrottleKey = { kind: ThrottleKind; key: string };

export function throttleKey(kind: ThrottleKind, value: string): string {
  return `${kind}:${value.trim().toLowerCase()}`;
}

export type AttemptClient = {
  email: string;
  address: string;
  /** From a valid device cookie for this email (device-cookie.ts); none for a browser new to the account. */
  deviceId?: string | null;
};

/** The counters one attempt is counted against, in a fixed order (so row locks are taken in one order). */
export function throttleKeysFor({ email, address, deviceId }: AttemptClient): ThrottleKey[] {
  const keys: ThrottleKey[] = deviceId
    ? [{ kind: 'device', key: throttleKey('device', deviceId) }]
    : [
        { kind: 'account', key: throttleKey('account', email) },
        { kind: 'address', key: throttleKey('address', address) },
      ];
  return keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** What a refused sign-in tells the person, with when to try again. */
export function lockoutMessage(kind: ThrottleKind, waitMs: number): string {
  const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
  const when = `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  switch (kind) {
    case 'account':
      return `Too many failed sign-ins to this account. ${when}, or sign in from a browser you have signed in from before.`;
    case 'address':
      return `Too many failed sign-ins from your network. ${when}.`;
    case 'device':
      return `Too many failed sign-ins from this browser. ${when}.`;
  }
}
