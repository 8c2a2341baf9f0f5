// What a fake server received, in order, with a way to wait for the n-th arrival without polling:
// waiters are settled by push() itself.

type Waiter<T> = { count: number; resolve: (items: T[]) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

export class ArrivalLog<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<Waiter<T>>();

  constructor(private readonly noun: string) {}

  push(item: T): void {
    this.items.push(item);
    for (const waiter of this.waiters) {
      if (this.items.length >= waiter.count) this.settle(waiter);
    }
  }

  /** Resolves with a copy of the items once at least `count` have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number): Promise<T[]> {
    if (this.items.length >= count) return Promise.resolve([...this.items]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`expected ${count} ${this.noun}, got ${this.items.length} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Fails pending waits (when the server closes). */
  abandon(reason: string): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(reason));
    }
    this.waiters.clear();
  }

  private settle(waiter: Waiter<T>): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    waiter.resolve([...this.items]);
  }
}
