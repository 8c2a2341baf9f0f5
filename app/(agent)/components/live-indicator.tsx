'use client';
import type { LiveStatus } from '../../realtime';

const LABEL: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  'signed-out': 'Not live: sign in again',
};

export function LiveIndicator({ status }: { status: LiveStatus }) {
  return (
    <span className={`live live-${status}`} role="status" aria-live="polite" data-testid="live-indicator" data-status={status}>
      <span className="live-dot" aria-hidden="true" /> {LABEL[status]}
    </span>
  );
}
