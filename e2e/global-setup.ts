// Starts what the browser tests talk to: a fresh database (on DATABASE_URL's server, or an
// embedded Postgres), a private Dovecot with a few mailboxes, a local Resend, the real worker
// process and the real web server from the production build. Tests find them through E2E_*
// variables: E2E_DATABASE_URL, E2E_ADMIN_EMAIL / E2E_ADMIN_PASSWORD, E2E_IMAP_PORT and
// E2E_MAILBOXES (JSON list of { user, password, address }).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../server/db/embedded';
import { startDovecot } from '../test/harness/dovecot';
import { freePort } from '../test/harness/free-port';
import { startResendServer } from '../test/harness/resend-server';
import { startWorker } from '../test/harness/worker-process';
import { E2E_PORT } from './playwright.config';

const ROOT = path.resolve(import.meta.dirname, '..');
const SERVER_START_TIMEOUT_MS = 60_000;
/** Mailboxes the specs can connect processors to; each spec uses its own. */
const E2E_MAILBOX_COUNT = 9;

async function createDatabase(): Promise<{ url: string; cleanup: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const name = `leopard_e2e_${randomBytes(5).toString('hex')}`;
    const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      cleanup: async () => {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      },
    };
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'leopard-e2e-pg-'));
  const embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: () => {} });
  return {
    url: embedded.url,
    cleanup: async () => {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const exited = () => reject(new Error(`web server exited during start:\n${output()}`));
    child.once('exit', exited);
    const attempt = async () => {
      try {
        const res = await fetch(url);
        if (res.ok) {
          child.off('exit', exited);
          return resolve();
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) return reject(new Error(`web server did not answer ${url} in time:\n${output()}`));
      setTimeout(attempt, 250);
    };
    void attempt();
  });
}

export default async function globalSetup() {
  const [database, dovecot, resend] = await Promise.all([createDatabase(), startDovecot(), startResendServer()]);
  const mailboxes = [];
  for (let i = 0; i < E2E_MAILBOX_COUNT; i++) mailboxes.push(await dovecot.addUser(`e2e${i}`));
  const secretKey = randomBytes(32).toString('base64');
  const adminEmail = 'admin@e2e.test';
  const adminPassword = `e2e-${randomBytes(8).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    PORT: String(E2E_PORT),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${E2E_PORT}`,
    ADMIN_EMAIL: adminEmail,
    ADMIN_PASSWORD: adminPassword,
    AUTH_SECRET: randomBytes(32).toString('base64'),
    SECRET_KEY: secretKey,
    LOG_LEVEL: 'warn',
  };
  let log = '';
  const web = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  web.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  web.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await waitForHealth(`http://127.0.0.1:${E2E_PORT}/api/health`, web, () => log);
  // After the web server, which applied the migrations the worker expects.
  const worker = await startWorker({ databaseUrl: database.url, secretKey, trustedCertPem: dovecot.certPem, resend });
  await worker.ready();

  process.env.E2E_DATABASE_URL = database.url;
  process.env.E2E_ADMIN_EMAIL = adminEmail;
  process.env.E2E_ADMIN_PASSWORD = adminPassword;
  process.env.E2E_IMAP_PORT = String(dovecot.imapPort);
  // Dovecot's own POP3 service on the same mailboxes (plain port, upgraded with STLS).
  process.env.E2E_POP3_PORT = String(dovecot.pop3Port);
  // A spec pauses this worker (SIGSTOP) to see what happens when only a worker without a transport runs.
  process.env.E2E_WORKER_PID = String(worker.child.pid);
  // Specs that set up mailboxes through the services seal passwords with the same key as the app.
  process.env.E2E_SECRET_KEY = secretKey;
  process.env.E2E_MAILBOXES = JSON.stringify(mailboxes);

  return async () => {
    web.kill('SIGTERM');
    if (web.exitCode === null) await new Promise((resolve) => web.once('exit', resolve));
    await worker.kill();
    await Promise.all([dovecot.stop(), resend.close()]);
    await database.cleanup();
  };
}
