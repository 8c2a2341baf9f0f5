// What the admin list shows for a processor. A processor runs only when it is active and has at
// least one filter (the seed: "your integration is not active yet" until a filter exists); past
// that, the state is what the worker last reported. A server that worked and now refuses or does not
// answer is an outage being retried, not a setting to fix. Notices say how promptly mail arrives and
// whether the server's answers disagreed with each other.
import { formatSeconds, summariseDelays } from './push-timing';

export type ProcessorStateInput = {
  active: boolean;
  filterCount: number;
  syncStatus: 'connecting' | 'importing' | 'idle' | 'error' | null;
  lastError: string | null;
  importDone: number;
  importTotal: number;
  /** The AppError code of lastError. */
  lastErrorCode?: string | null;
  lastSuccessAt?: Date | null;
  checkIntervalSeconds?: number | null;
  deliveryDelaysMs?: number[];
  unannouncedMailAt?: Date | null;
  listingDiscrepancy?: string | null;
  listingDiscrepancyAt?: Date | null;
  /** OAuth2 processors: whether the refresh token works (null: never connected), and the provider's words. */
  authMethod?: 'password' | 'oauth2';
  oauthState?: 'connected' | 'reconnect_needed' | null;
  oauthError?: string | null;
};

/** Failures of reaching a server, as opposed to settings it rejects (password, TLS): an outage once it worked. */
const OUTAGE_CODES = new Set(['IMAP_CONNECTION_REFUSED', 'IMAP_TIMEOUT', 'IMAP_HOST_NOT_FOUND']);

export function isOutage(p: Pick<ProcessorStateInput, 'lastErrorCode' | 'lastSuccessAt'>): boolean {
  return !!p.lastErrorCode && OUTAGE_CODES.has(p.lastErrorCode) && !!p.lastSuccessAt;
}

export type ProcessorState =
  | { kind: 'inactive'; label: string }
  | { kind: 'needs_filter'; label: string }
  | { kind: 'connecting'; label: string }
  | { kind: 'importing'; label: string; done: number; total: number }
  | { kind: 'idle'; label: string }
  | { kind: 'outage'; label: string; reason: string }
  | { kind: 'error'; label: string; reason: string }
  | { kind: 'not_connected'; label: string }
  | { kind: 'reconnect_needed'; label: string; reason: string };

/** Whether a worker should run this processor; the worker's lease queries use it as SQL (services/leases.ts runnableProcessor). */
export function isRunnable(p: Pick<ProcessorStateInput, 'active' | 'filterCount'>): boolean {
  return p.active && p.filterCount > 0;
}

export function deriveProcessorState(p: ProcessorStateInput): ProcessorState {
  if (!p.active) return { kind: 'inactive', label: 'Inactive' };
  if (!isRunnable(p)) return { kind: 'needs_filter', label: 'Needs a filter' };
  // An OAuth2 mailbox whose provider refused the refresh is not retried: only Reconnect helps, so it says so.
  if (p.authMethod === 'oauth2' && p.oauthState === 'reconnect_needed') {
    return { kind: 'reconnect_needed', label: 'Sign-in refused: reconnect needed', reason: p.oauthError ?? 'The provider refused the sign-in.' };
  }
  if (p.authMethod === 'oauth2' && !p.oauthState) return { kind: 'not_connected', label: 'Not connected: press Connect' };
  switch (p.syncStatus) {
    case 'importing':
      return { kind: 'importing', label: `Importing ${p.importDone} of ${p.importTotal}`, done: p.importDone, total: p.importTotal };
    case 'idle':
      return { kind: 'idle', label: 'Idle (up to date)' };
    case 'error':
      if (isOutage(p)) return { kind: 'outage', label: 'Mail server unavailable, retrying', reason: p.lastError ?? 'The server does not answer.' };
      return { kind: 'error', label: 'Error', reason: p.lastError ?? 'Unknown error' };
    default:
      // Runnable but not yet picked up by a worker, or reconnecting.
      return { kind: 'connecting', label: 'Connecting' };
  }
}

export type ProcessorNotice = { kind: 'delays' | 'slow_push' | 'checked' | 'discrepancy'; tone: 'info' | 'warn'; text: string };

/** What the processor page says beside the state: measured delays, slow push and its fix, listing discrepancies. */
export function processorNotices(p: ProcessorStateInput): ProcessorNotice[] {
  const notices: ProcessorNotice[] = [];
  const summary = summariseDelays(p.deliveryDelaysMs ?? []);
  if (summary) {
    notices.push({
      kind: 'delays',
      tone: 'info',
      text: `The last ${summary.count === 1 ? 'message' : `${summary.count} messages`} reached Leopard ${summary.count === 1 ? formatSeconds(summary.medianMs) : `${formatSeconds(summary.medianMs)} (median), at most ${formatSeconds(summary.maxMs)},`} after arriving in the mailbox.`,
    });
  }
  const check = p.checkIntervalSeconds ?? null;
  if (p.unannouncedMailAt && !check) {
    notices.push({
      kind: 'slow_push',
      tone: 'warn',
      text: 'This mail server does not push new mail promptly: a poll found mail it had not announced. Set a check interval of a few seconds (Edit → Check for new mail every) so mail arrives quickly.',
    });
  } else if (check) {
    notices.push({ kind: 'checked', tone: 'info', text: `The mailbox is checked for new mail every ${check} s, besides push.` });
  }
  if (p.listingDiscrepancy) {
    notices.push({
      kind: 'discrepancy',
      tone: 'warn',
      text: `The server's answers disagreed: ${p.listingDiscrepancy} Leopard listed the mailbox another way and took the mail.`,
    });
  }
  return notices;
}
