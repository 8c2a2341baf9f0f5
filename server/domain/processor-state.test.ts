import { describe, expect, it } from 'vitest';
import { deriveProcessorState, isRunnable, type ProcessorStateInput } from './processor-state';

const base: ProcessorStateInput = { active: true, filterCount: 1, syncStatus: 'idle', lastError: null, importDone: 0, importTotal: 0 };

describe('processor state', () => {
  it('is inactive when switched off, whatever the worker last said', () => {
    expect(deriveProcessorState({ ...base, active: false, syncStatus: 'error', lastError: 'x' }).kind).toBe('inactive');
  });

  it('needs a filter when active without filters, and is then not runnable', () => {
    expect(deriveProcessorState({ ...base, filterCount: 0 })).toEqual({ kind: 'needs_filter', label: 'Needs a filter' });
    expect(isRunnable({ active: true, filterCount: 0 })).toBe(false);
    expect(isRunnable({ active: true, filterCount: 2 })).toBe(true);
  });

  it('shows import progress as n of m', () => {
    expect(deriveProcessorState({ ...base, syncStatus: 'importing', importDone: 40, importTotal: 120 }).label).toBe('Importing 40 of 120');
  });

  it('shows the reason of an error', () => {
    expect(deriveProcessorState({ ...base, syncStatus: 'error', lastError: 'Wrong login or password' })).toEqual({
      kind: 'error',
      label: 'Error',
      reason: 'Wrong login or password',
    });
  });

  it('is connecting while runnable and not yet reported on', () => {
    expect(deriveProcessorState({ ...base, syncStatus: null }).kind).toBe('connecting');
  });

  it('is idle when up to date', () => {
    expect(deriveProcessorState(base).label).toBe('Idle (up to date)');
  });
});
