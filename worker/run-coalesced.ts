// "Run now, or once more right after the current run": the outbox sender's passes and the supervisor's ticks.
// Requests that arrive during a run make one more run after it, never a queue of them, and never two at once:
// a run reads the state afresh, so one more run answers every request made while the last one was busy.

export type CoalescedRunOptions = {
  run: () => Promise<void>;
  /** Hears a run's failure; the next request runs again all the same. */
  onError: (err: unknown) => void;
  /** Once true, requests start nothing (a run in progress finishes). */
  stopped?: () => boolean;
};

export class CoalescedRun {
  private current: Promise<void> | null = null;
  private again = false;

  constructor(private readonly o: CoalescedRunOptions) {}

  /** The run in progress, or null: what a stop waits for. */
  get running(): Promise<void> | null {
    return this.current;
  }

  /** Runs now, or right after the current run. */
  request(): void {
    if (this.o.stopped?.()) return;
    if (this.current) {
      this.again = true;
      return;
    }
    this.current = this.o
      .run()
      .catch((err: unknown) => this.o.onError(err))
      .finally(() => {
        this.current = null;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }
}
