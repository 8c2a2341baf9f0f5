// How promptly a mailbox's new mail reaches Leopard. Stock Cyrus and Courier tell an IDLE client of new
// mail only on a timer (Cyrus imapidlepoll, Courier IMAP_IDLE_TIMEOUT: 60 s by default), Dovecot within
// about half a second. The worker measures each live message from its arrival (the server's INTERNALDATE,
// whole seconds) to its commit, and notices mail the server never announced while the connection idled.

/** A message found later than this, without the server announcing it, means the server does not push promptly. */
export const LATE_PUSH_MS = 5_000;
/** How many of a processor's last live messages keep their delay. */
export const RECENT_DELAYS_KEPT = 10;

/** Milliseconds from arrival to storing; never negative (clocks of mail server and worker may differ a little). */
export function deliveryDelayMs(arrivedAt: Date | null | undefined, storedAt: Date): number | null {
  if (!arrivedAt || Number.isNaN(arrivedAt.getTime())) return null;
  return Math.max(0, storedAt.getTime() - arrivedAt.getTime());
}

/** Live mail the server had not announced while the connection idled, found late by a poll or a check. */
export function foundUnannounced({ announcedByPush, delayMs }: { announcedByPush: boolean; delayMs: number | null }): boolean {
  return !announcedByPush && delayMs !== null && delayMs > LATE_PUSH_MS;
}

/** The delays to keep: the previous ones and the new, newest last, at most RECENT_DELAYS_KEPT. */
export function keepRecentDelays(previous: number[], added: number[]): number[] {
  return [...previous, ...added].slice(-RECENT_DELAYS_KEPT);
}

export type DelaySummary = { count: number; medianMs: number; maxMs: number };

export function summariseDelays(delays: number[]): DelaySummary | null {
  if (delays.length === 0) return null;
  const sorted = [...delays].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
  return { count: sorted.length, medianMs, maxMs: sorted[sorted.length - 1]! };
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}
