// Runs the real worker (`node --import tsx worker/index.ts`) as a child process against a test
// database, a harness Dovecot and a local Resend, so tests can kill it, run two, and read its health.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../server/env';
import { freePort } from './free-port';

export type WorkerProcess = {
  readonly port: number;
  readonly child: ChildProcess;
  /** stdout and stderr, interleaved as they arrived. */
  output(): string;
  /** stderr alone: where an uncaught error or a crash would be printed. */
  errorOutput(): string;
  /** Resolves once /health answers 200. */
  ready(): Promise<void>;
  /** GET /health: the worker's id and how many processors it holds a session for. */
  health(): Promise<WorkerHealth>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
};

export type WorkerHealth = { httpStatus: number; status: string; workerId: string; processors: number };

export type StartWorkerOptions = {
  databaseUrl: string;
  secretKey: string;
  /** PEM the worker trusts for IMAP TLS (the harness's self-signed certificate). */
  trustedCertPem?: string;
  resend?: { url: string; apiKey: string };
  env?: Record<string, string>;
};

const READY_TIMEOUT_MS = 30_000;

export async function startWorker(options: StartWorkerOptions): Promise<WorkerProcess> {
  const port = await freePort();
  let caFile: string | undefined;
  if (options.trustedCertPem) {
    caFile = path.join(os.tmpdir(), `leopard-test-ca-${process.pid}.pem`);
    writeFileSync(caFile, options.trustedCertPem);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/index.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: options.databaseUrl,
      SECRET_KEY: options.secretKey,
      AUTH_SECRET: 'worker-test-auth-secret-0123456789abcdef',
      WORKER_PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.WORKER_LOG_LEVEL ?? 'warn',
      LEASE_TTL_MS: '3000',
      POLL_INTERVAL_MS: '5000',
      ...(caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {}),
      ...(options.resend ? { RESEND_API_KEY: options.resend.apiKey, RESEND_BASE_URL: options.resend.url } : { RESEND_API_KEY: '', SMTP_URL: '' }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let errors = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
    errors += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    port,
    child,
    output: () => log,
    errorOutput: () => errors,
    async ready() {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`worker exited during start:\n${log}`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/health`);
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`worker not healthy in time:\n${log}`);
    },
    async health() {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      const body = (await res.json()) as Omit<WorkerHealth, 'httpStatus'>;
      return { httpStatus: res.status, ...body };
    },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls a condition (a database read) until it holds; the failure message says what was awaited. */
export async function eventually<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}
