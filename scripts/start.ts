// `npm start`: the whole product on one machine. Starts (or reuses) the database, builds the
// web app when the sources are newer than the last build, then runs the web server and the
// worker as child processes and stops them together. Production deployments start
// `npm run web` and `npm run worker` separately instead (README, "Deploying").
import { type ChildProcess, spawn } from 'node:child_process';
import { prepareDatabase } from '../server/db/prepare';
import { env, EnvError, projectRoot } from '../server/env';
import { buildIfStale } from './build-if-stale';

const CRASH_WINDOW_MS = 5 * 60_000;
const MAX_CRASHES_IN_WINDOW = 5;
const STARTUP_GRACE_MS = 10_000;

const log = (message: string) => process.stdout.write(`[leopard] ${message}\n`);

async function main() {
  const config = env();
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
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children.values()) child.kill('SIGTERM');
    await Promise.all(
      [...children.values()].map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
    );
    await database.stop();
    process.exit(code);
  };

  // A process that crashes is started again (a lost database connection can kill the worker);
  // one that keeps crashing right after start stops everything, with its output above.
  const run = (name: string, script: string, crashes: number[] = []) => {
    const startedAt = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, env: childEnv, stdio: 'inherit' });
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
    if (signals > 1) {
      for (const child of children.values()) child.kill('SIGKILL');
      process.exit(1);
    }
    void stopAll(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(
    err instanceof EnvError ? `${err.message}\n` : `Leopard failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
