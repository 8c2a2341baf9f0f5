// An abortable wait that a notification cuts short: a mailbox session sleeps until new mail is
// announced (IMAP IDLE's EXISTS), the poll interval passes, or it is told to stop.
export class WakeSignal {
  private pending = false;
  private release: (() => void) | null = null;

  /** Ends the current wait, or the next one at once if nobody is waiting. */
  wake(): void {
    if (this.release) {
      this.release();
    } else {
      this.pending = true;
    }
  }

  /** Forgets a wake that nobody waited for (what it announced has been dealt with). */
  clear(): void {
    this.pending = false;
  }

  /** Resolves true when woken, false when `ms` passed first. */
  wait(ms: number): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const self = this;
      function done(woken: boolean) {
        clearTimeout(timer);
        self.release = null;
        resolve(woken);
      }
      this.release = () => done(true);
    });
  }
}
