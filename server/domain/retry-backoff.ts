// How long to wait before trying again after a failure: mailbox reconnects and outbound mail.
// Exponential from a base, capped, with jitter so many mailboxes failing at once (a server restart)
// do not all come back in the same second.

export type BackoffPolicy = { baseMs: number; maxMs: number; jitter: number };

/**
 * A mailbox that cannot connect is tried again after 1, 2, 4… s, at most every 30 s: a server back from an
 * outage is reached within about half a minute, and a thousand mailboxes of a down server cost it a few
 * dozen attempts a second. A wrong password is retried the same way; the admin's fix restarts the session.
 */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000, jitter: 0.2 };
export const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 60 * 60_000, jitter: 0.2 };
/** The copy of a sent mail in the mailbox's Sent folder: a mailbox that is down is tried again for about a day. */
export const SENT_COPY_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 60 * 60_000, jitter: 0.2 };
export const SENT_COPY_MAX_ATTEMPTS = 30;
/** After this many failed attempts an outbound mail is marked failed and shown as such. */
export const OUTBOX_MAX_ATTEMPTS = 10;

/** attempt counts from 1 (the first failure). random is injectable for tests. */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const spread = exponential * policy.jitter;
  return Math.round(Math.min(policy.maxMs, exponential - spread + random() * 2 * spread));
}
