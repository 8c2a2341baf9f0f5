import type { ProcessorNotice, ProcessorState } from '@/server/domain/processor-state';

const TONE: Record<ProcessorState['kind'], string> = {
  inactive: 'state-off',
  needs_filter: 'state-warn',
  connecting: 'state-warn',
  importing: 'state-warn',
  idle: 'state-ok',
  outage: 'state-warn',
  error: 'state-error',
  not_connected: 'state-warn',
  reconnect_needed: 'state-error',
};

export function ProcessorStateBadge({ state }: { state: ProcessorState }) {
  return (
    <span className={`state ${TONE[state.kind]}`} data-testid="processor-state" data-state={state.kind}>
      ● {state.label}
      {(state.kind === 'error' || state.kind === 'outage' || state.kind === 'reconnect_needed') && <span className="state-reason">: {state.reason}</span>}
    </span>
  );
}

export function formatWhen(date: Date | null | undefined): string {
  return date ? date.toLocaleString() : 'never';
}

/** How promptly mail arrives, slow push and its fix, disagreements in the server's answers. */
export function ProcessorNotices({ notices }: { notices: ProcessorNotice[] }) {
  if (notices.length === 0) return null;
  return (
    <div className="stack-tight" data-testid="processor-notices">
      {notices.map((n) => (
        <p key={n.kind} className={n.tone === 'warn' ? 'form-warning' : 'muted'} role="note" data-notice={n.kind}>
          {n.text}
        </p>
      ))}
    </div>
  );
}
