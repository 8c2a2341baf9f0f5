import { describe, expect, it } from 'vitest';
import { WakeSignal } from './wake-signal';

describe('wake signal', () => {
  it('ends a long wait as soon as it is woken', async () => {
    const signal = new WakeSignal();
    const started = performance.now();
    const waiting = signal.wait(60_000);
    signal.wake();
    await waiting;
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('remembers a wake that came before the wait', async () => {
    const signal = new WakeSignal();
    signal.wake();
    const started = performance.now();
    await signal.wait(60_000);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('forgets a wake that came before the wait when cleared', async () => {
    const signal = new WakeSignal();
    signal.wake();
    signal.clear();
    const started = performance.now();
    await signal.wait(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('times out when nobody wakes it', async () => {
    const signal = new WakeSignal();
    const started = performance.now();
    await signal.wait(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
