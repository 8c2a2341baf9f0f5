// The worker process: `npm run worker`. Leases mailboxes, keeps one IMAP session per leased
// processor, sends the outbox, and serves /health and /metrics on WORKER_PORT.
// The first SIGTERM/SIGINT drains (sessions close, leases are handed back); a second exits at once.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { closeDb, createPool, db, sql } from '../server/db/client';
import { prepareDatabase } from '../server/db/prepare';
import { env } from '../server/env';
import { createLogger } from '../server/log';
import { onShutdownSignals, runMain } from '../server/process-lifecycle';
import { ConnectGate } from './connect-gate';
import { startHealthServer } from './health';
import { transportFromEnv } from './mail-transports';
import { LivenessLock } from './liveness-lock';
import { createWorkerMetrics } from './metrics';
import { OutboxSender } from './outbox-sender';
import { ParsePool } from './parse-pool';
import { Supervisor } from './supervisor';

const SHUTDOWN_GRACE_MS = 15_000;
/** Mailbox sessions logging in at once (worker/connect-gate.ts), and the longest one may hold its turn. */
const CONCURRENT_LOGINS = 16;
const LOGIN_TURN_MS = 10_000;
/** More than this many mailboxes on one worker is a sign to run another worker. */
const MAX_SESSIONS_PER_WORKER = 5_000;

async function main() {
  const config = env();
  const log = createLogger('worker');
  const database = await prepareDatabase((message) => log.info(message));
  const workerId = config.WORKER_ID ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const metrics = createWorkerMetrics();

  const transport = transportFromEnv(config);
  if (!transport) log.warn('No RESEND_API_KEY or SMTP_URL: auto-replies will wait in the outbox, marked with this error.');
  const outbox = new OutboxSender({
    db: db(),
    sql: sql(),
    systemTransport: transport,
    secretKey: config.secretKey,
    workerId,
    workerLiveMs: config.LEASE_TTL_MS,
    log: log.child({ part: 'outbox' }),
    metrics,
  });

  // Leases are renewed on a connection of their own. In the shared pool a renewal queued behind the
  // database work of hundreds of starting sessions (1.5 s for 200 of them, more for 1,000) and could miss
  // LEASE_TTL_MS, after which the worker stopped and restarted every session (bench/scenarios/many-mailboxes.ts).
  const leasePool = createPool(database.url, { max: 1, applicationName: 'leopard-worker-leases' });
  // Held on a connection of its own while this process lives: its death frees it (worker/liveness-lock.ts).
  const liveness = new LivenessLock({ url: database.url, workerId, log: log.child({ part: 'liveness' }), timeoutMs: Math.floor(config.LEASE_TTL_MS / 3) });
  const parsePool = new ParsePool(log.child({ part: 'parse' }));
  parsePool.start();
  const supervisor = new Supervisor({
    db: leasePool.db,
    sql: sql(),
    workerId,
    leaseTtlMs: config.LEASE_TTL_MS,
    maxSessions: MAX_SESSIONS_PER_WORKER,
    log,
    outboundTransport: transport?.name ?? null,
    liveness,
    sessionDeps: {
      db: db(),
      secretKey: config.secretKey,
      log,
      metrics,
      pollIntervalMs: config.POLL_INTERVAL_MS,
      onMailQueued: () => outbox.wake(),
      prepare: (raw) => parsePool.prepare(raw),
      connectGate: new ConnectGate(CONCURRENT_LOGINS, LOGIN_TURN_MS),
    },
  });
  const health = await startHealthServer({
    port: config.WORKER_PORT,
    host: config.HOST,
    workerId,
    metrics,
    heldProcessors: () => supervisor.heldProcessorIds.length,
  });
  await supervisor.start();
  await outbox.start();
  log.info({ workerId, port: config.WORKER_PORT }, 'Leopard worker running');

  onShutdownSignals(log, SHUTDOWN_GRACE_MS, async () => {
    await supervisor.stop();
    await liveness.stop();
    await parsePool.close();
    await leasePool.sql.end({ timeout: 5 });
    await outbox.stop();
    await new Promise<void>((resolve) => health.close(() => resolve()));
    await closeDb();
    await database.stop();
  });
}

runMain('worker', main);
