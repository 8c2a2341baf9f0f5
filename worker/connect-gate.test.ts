import { describe, expect, it } from 'vitest';
import { ConnectGate } from './connect-gate';

describe('ConnectGate', () => {
  it('lets `limit` sessions in at once and the rest in order as slots free up', async () => {
    const gate = new ConnectGate(2, 60_000);
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const entries = [1, 2, 3, 4].map((n) =>
      gate.enter().then((release) => {
        order.push(n);
        releases[n] = release;
      }),
    );
    await Promise.all(entries.slice(0, 2));
    expect(order).toEqual([1, 2]);
    expect(gate.load).toEqual({ active: 2, waiting: 2 });

    releases[2]!();
    releases[2]!(); // a second call changes nothing
    await entries[2];
    expect(order).toEqual([1, 2, 3]);
    expect(gate.load).toEqual({ active: 2, waiting: 1 });

    releases[1]!();
    await entries[3];
    releases[3]!();
    releases[4]!();
    expect(order).toEqual([1, 2, 3, 4]);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it('takes a slot back from a session that holds it too long', async () => {
    const gate = new ConnectGate(1, 20);
    await gate.enter();
    const started = performance.now();
    const release = await gate.enter();
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    release();
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });
});
