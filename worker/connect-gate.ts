// How many of a worker's mailbox sessions may be logging in at once. A worker that starts, or takes over a
// dead worker's mailboxes, would otherwise open hundreds of IMAP logins in the same instant, and many mail
// providers throttle or refuse bursts of logins from one address. (Against the bench's local Dovecot, 500
// sessions took about as long to come up either way: bench/scenarios/scale-out.ts.)
//
// Decisions:
// - A slot is held from TCP connect to the mailbox being selected, and given back after `holdMs` at the
//   latest, so a server that never answers cannot stall the others.
// - First come, first served: sessions queue in the order they asked.
export class ConnectGate {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly holdMs: number,
  ) {}

  /** Resolves when a slot is free; call the returned function (idempotent) once logged in or failed. */
  async enter(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active += 1;
    let released = false;
    const timer = setTimeout(() => release(), this.holdMs);
    timer.unref();
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      const next = this.queue.shift();
      // The slot passes straight to the next session in line.
      if (next) next();
      else this.active -= 1;
    };
    return release;
  }

  /** Sessions logging in now, and waiting for a slot (for tests and metrics). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.queue.length };
  }
}
