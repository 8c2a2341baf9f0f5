// `npm start`: the whole product on one machine. Starts (or reuses) the database, builds the
// web app when the sources are newer than the last build, then runs the web server and the
// worker as child processes and stops them together. Production deployments start
// `npm run web` and `npm run worker` separately instead (README, "Deploying").
//
// Ctrl-C in a terminal signals every process of the foreground process group. The web server, the
// worker and the embedded Postgres (server/db/embedded.ts) each run in a process group of their
// own, so the terminal's signal reaches only this process, which passes exactly one SIGTERM to
// each child (a second would force it), waits until both have drained (leases handed back,
// transactions finished), and only then stops the database.
import { type ChildProcess, spawn } from 'node:child_process';
import { prepareDatabase } from '../server/db/prepare';
import { env, EnvError, projectRoot } from '../server/env';
import { buildIfStale } from './build-if-stale';

const CRASH_WINDOW_MS = 5 * 60_000;
const MAX_CRASHES_IN_WINDOW = 5;
const STARTUP_GRACE_MS = 10_000;

const log = (message: string) => process.stdout.write(`[leopard] ${message}\n`);

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function main() {
  const config = env();
  // Until web and worker run there is nothing to drain: a signal ends this process, and the exit
  // stops an embedded Postgres it started (server/db/embedded.ts), which is not in our group.
  const stopEarly = () => process.exit(1);
  for (const signal of STOP_SIGNALS) process.on(signal, stopEarly);
  const database = await prepareDatabase(log);
  // The children get the secrets this process resolved (possibly generated), so they agree.
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    AUTH_SECRET: config.authSecret,
    SECRET_KEY: config.secretKey.toString('base64'),
  };

  buildIfStale(childEnv, log);

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const running = () => [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const stopped = running().map(
      (c) => new Promise<boolean>((resolve) => c.once('exit', (exitCode) => resolve(exitCode === 0))),
    );
    for (const child of running()) child.kill('SIGTERM');
    const clean = (await Promise.all(stopped)).every(Boolean);
    await database.stop();
    if (!clean) log('web or worker did not stop cleanly; see its output above.');
    process.exit(clean ? code : 1);
  };
  // Should this process end some other way, the children (in groups of their own) do not outlive it.
  process.on('exit', () => {
    for (const child of running()) child.kill('SIGTERM');
  });

  // A process that crashes is started again (a lost database connection can kill the worker);
  // one that keeps crashing right after start stops everything, with its output above.
  const run = (name: string, script: string, crashes: number[] = []) => {
    const startedAt = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: projectRoot,
      env: childEnv,
      // A group of its own: the terminal's Ctrl-C reaches this process only (see the top of the file).
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(name, child);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      const recent = [...crashes, Date.now()].filter((t) => Date.now() - t < CRASH_WINDOW_MS);
      if (Date.now() - startedAt < STARTUP_GRACE_MS && recent.length >= MAX_CRASHES_IN_WINDOW) {
        log(`${name} keeps stopping (${signal ?? `exit code ${code}`}); stopping Leopard.`);
        void stopAll(1);
        return;
      }
      const delay = Math.min(30_000, 1_000 * 2 ** (recent.length - 1));
      log(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); starting it again in ${delay / 1000} s.`);
      setTimeout(() => !stopping && run(name, script, recent), delay).unref();
    });
  };

  run('web', 'server.ts');
  run('worker', 'worker/index.ts');
  log(`Open ${config.publicUrl} and sign in as ${config.ADMIN_EMAIL}.`);

  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals === 1) {
      log('Stopping: web and worker finish what they are doing …');
      void stopAll(0);
      return;
    }
    // A second Ctrl-C: do not wait for the drain.
    log('Stopping now.');
    for (const child of running()) child.kill('SIGKILL');
  };
  for (const signal of STOP_SIGNALS) {
    process.off(signal, stopEarly);
    process.on(signal, onSignal);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    err instanceof EnvError ? `${err.message}\n` : `Leopard failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
