import { describe, expect, it } from 'vitest';
import { CoalescedRun } from './run-coalesced';

/** A run that finishes when the test says so. */
function gatedRuns() {
  const gates: Array<() => void> = [];
  let started = 0;
  const run = () =>
    new Promise<void>((resolve) => {
      started += 1;
      gates.push(resolve);
    });
  return { run, gates, started: () => started };
}

describe('CoalescedRun', () => {
  it('runs at once when idle, and requests during a run make exactly one more run after it', async () => {
    const runs = gatedRuns();
    const coalesced = new CoalescedRun({ run: runs.run, onError: () => {} });
    coalesced.request();
    expect(runs.started()).toBe(1);
    coalesced.request();
    coalesced.request();
    coalesced.request();
    expect(runs.started()).toBe(1);
    const first = coalesced.running;
    runs.gates[0]!();
    await first;
    expect(runs.started()).toBe(2);
    const second = coalesced.running;
    runs.gates[1]!();
    await second;
    expect(runs.started()).toBe(2);
    expect(coalesced.running).toBeNull();
  });

  it('reports a failed run and runs again on the next request', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const coalesced = new CoalescedRun({
      run: async () => {
        calls += 1;
        if (calls === 1) throw new Error('database unreachable');
      },
      onError: (err) => errors.push(err),
    });
    coalesced.request();
    await coalesced.running;
    expect(errors).toHaveLength(1);
    coalesced.request();
    await coalesced.running;
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('starts nothing once stopped, not even the run asked for during the last one', async () => {
    const runs = gatedRuns();
    let stopped = false;
    const coalesced = new CoalescedRun({ run: runs.run, onError: () => {}, stopped: () => stopped });
    coalesced.request();
    coalesced.request();
    stopped = true;
    const last = coalesced.running;
    runs.gates[0]!();
    await last;
    coalesced.request();
    expect(runs.started()).toBe(1);
    expect(coalesced.running).toBeNull();
  });
});
