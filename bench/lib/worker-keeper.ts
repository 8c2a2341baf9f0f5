// What the README asks of production: run the worker under a supervisor that restarts it. The Postgres
// drill needs that (postgres.js 3.4.9 can crash the process when the database drops a connection
// mid-transaction), and counts how often it had to.
import type { WorkerProcess } from '../../test/harness/worker-process';
import type { Deployment } from './deployment';

export class WorkerKeeper {
  readonly exits: Array<{ at: number; code: number | null; signal: string | null; lastOutput: string }> = [];
  current: WorkerProcess | null = null;
  private stopped = false;

  constructor(private readonly dep: Deployment) {}

  async start(): Promise<WorkerProcess> {
    const worker = await this.dep.startWorker();
    this.current = worker;
    worker.child.once('exit', (code, signal) => {
      if (this.stopped) return;
      this.exits.push({ at: performance.now(), code, signal, lastOutput: worker.output().slice(-1500) });
      // Restart after a second, as systemd's RestartSec=1 would; retried while the database is down.
      const restart = async (): Promise<void> => {
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, 1_000));
        await this.start().catch(() => restart());
      };
      void restart();
    });
    return worker;
  }

  stop(): void {
    this.stopped = true;
  }
}
