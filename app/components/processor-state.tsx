import type { ProcessorState } from '@/server/domain/processor-state';

const TONE: Record<ProcessorState['kind'], string> = {
  inactive: 'state-off',
  needs_filter: 'state-warn',
  connecting: 'state-warn',
  importing: 'state-warn',
  idle: 'state-ok',
  error: 'state-error',
};

export function ProcessorStateBadge({ state }: { state: ProcessorState }) {
  return (
    <span className={`state ${TONE[state.kind]}`} data-testid="processor-state" data-state={state.kind}>
      ● {state.label}
      {state.kind === 'error' && <span className="state-reason">: {state.reason}</span>}
    </span>
  );
}

export function formatWhen(date: Date | null | undefined): string {
  return date ? date.toLocaleString() : 'never';
}
