// What the admin list shows for a processor. A processor runs only when it is active and has at
// least one filter (the seed: "your integration is not active yet" until a filter exists); past
// that, the state is what the worker last reported.

export type ProcessorStateInput = {
  active: boolean;
  filterCount: number;
  syncStatus: 'connecting' | 'importing' | 'idle' | 'error' | null;
  lastError: string | null;
  importDone: number;
  importTotal: number;
};

export type ProcessorState =
  | { kind: 'inactive'; label: string }
  | { kind: 'needs_filter'; label: string }
  | { kind: 'connecting'; label: string }
  | { kind: 'importing'; label: string; done: number; total: number }
  | { kind: 'idle'; label: string }
  | { kind: 'error'; label: string; reason: string };

export function isRunnable(p: Pick<ProcessorStateInput, 'active' | 'filterCount'>): boolean {
  return p.active && p.filterCount > 0;
}

export function deriveProcessorState(p: ProcessorStateInput): ProcessorState {
  if (!p.active) return { kind: 'inactive', label: 'Inactive' };
  if (p.filterCount === 0) return { kind: 'needs_filter', label: 'Needs a filter' };
  switch (p.syncStatus) {
    case 'importing':
      return { kind: 'importing', label: `Importing ${p.importDone} of ${p.importTotal}`, done: p.importDone, total: p.importTotal };
    case 'idle':
      return { kind: 'idle', label: 'Idle (up to date)' };
    case 'error':
      return { kind: 'error', label: 'Error', reason: p.lastError ?? 'Unknown error' };
    default:
      // Runnable but not yet picked up by a worker, or reconnecting.
      return { kind: 'connecting', label: 'Connecting' };
  }
}
