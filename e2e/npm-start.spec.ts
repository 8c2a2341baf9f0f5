// `npm start` stopped with Ctrl-C. A terminal sends SIGINT to every process of its foreground
// process group at once: here scripts/start.ts runs in a group of its own (as a shell would run
// it) and the whole group gets the signal. Web and worker must each drain once (no "second
// signal: exiting now"), hand back their leases and finish their transactions before the embedded
// Postgres stops; `npm start` then exits 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { sql } from 'drizzle-orm';
import { createPool } from '../server/db/client';
import { startEmbeddedPostgres } from '../server/db/embedded';
import { createFilter } from '../server/services/filters';
import { createProcessor } from '../server/services/processors';
import { freePorts } from '../test/harness/free-port';
import { imapPort, mailbox } from './mailbox';

const ROOT = path.resolve(import.meta.dirname, '..');

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('Ctrl-C on npm start stops web and worker once each, hands back the leases, and exits 0', async () => {
  test.setTimeout(240_000);
  const box = mailbox(5);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'leopard-npm-start-'));
  const [webPort, workerPort, pgPort] = await freePorts(3);
  const secretKey = randomBytes(32).toString('base64');
  const { DATABASE_URL: _external, ...inherited } = process.env;
  const start = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    // Its own process group, whose id is its pid: the group a terminal would signal.
    detached: true,
    env: {
      ...inherited,
      DATA_DIR: dataDir,
      PORT: String(webPort),
      HOST: '127.0.0.1',
      WORKER_PORT: String(workerPort),
      EMBEDDED_PG_PORT: String(pgPort),
      ADMIN_PASSWORD: `start-${randomBytes(6).toString('hex')}`,
      SECRET_KEY: secretKey,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  start.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  start.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const databaseUrl = `postgres://leopard:leopard@127.0.0.1:${pgPort}/leopard`;
  try {
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${webPort}/api/health`).catch(() => null))?.status ?? 0, { timeout: 120_000 })
      .toBe(200);
    await expect.poll(async () => (await fetch(`http://127.0.0.1:${workerPort}/health`).catch(() => null))?.status ?? 0, { timeout: 30_000 }).toBe(200);

    const pool = createPool(databaseUrl, { max: 1, applicationName: 'leopard-e2e-npm-start' });
    let processorId: string;
    try {
      const [actor] = await pool.db.execute<{ id: string; email: string }>(sql`select id, email from users where role = 'admin' limit 1`);
      const processor = await createProcessor({
        db: pool.db,
        actor,
        key: Buffer.from(secretKey, 'base64'),
        input: {
          emailAddress: box.address,
          name: 'Stop test',
          active: true,
          host: '127.0.0.1',
          type: 'imap',
          port: imapPort(),
          useSsl: false,
          login: box.user,
          password: box.password,
          autoReply: false,
          allowUntrustedCert: true,
        },
      });
      processorId = processor.id;
      await createFilter({
        db: pool.db,
        actor,
        input: { processorId, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
      });
      // The worker leases the mailbox and works it.
      await expect
        .poll(
          async () => {
            const [row] = await pool.db.execute<{ lease_owner: string | null; sync_status: string | null }>(
              sql`select l.lease_owner, p.sync_status from email_processors p left join processor_leases l on l.processor_id = p.id where p.id = ${processorId}`,
            );
            return row.lease_owner !== null && row.sync_status === 'idle';
          },
          { timeout: 60_000 },
        )
        .toBe(true);
    } finally {
      await pool.sql.end({ timeout: 5 });
    }

    // Ctrl-C: SIGINT to the whole process group.
    process.kill(-start.pid!, 'SIGINT');
    expect(await exited(start)).toBe(0);
    expect(output).not.toContain('second signal');
    expect(output).not.toContain('shutdown failed');
    expect(output).not.toContain('did not stop cleanly');
    // Web and worker each drained once and said they stopped.
    expect(output.match(/"msg":"shutting down"/g)).toHaveLength(2);
    expect(output.match(/"msg":"stopped"/g)).toHaveLength(2);

    // The leases were handed back before the database stopped.
    const again = await startEmbeddedPostgres({ dataDir, port: pgPort, log: () => {} });
    const check = createPool(again.url, { max: 1, applicationName: 'leopard-e2e-npm-start-check' });
    try {
      const [row] = await check.db.execute<{ lease_owner: string | null }>(sql`select l.lease_owner from email_processors p left join processor_leases l on l.processor_id = p.id where p.id = ${processorId}`);
      expect(row.lease_owner).toBeNull();
      const [workers] = await check.db.execute<{ n: number }>(sql`select count(*)::int as n from workers`);
      expect(workers.n).toBe(0);
    } finally {
      await check.sql.end({ timeout: 5 });
      await again.stop();
    }
  } finally {
    if (start.exitCode === null) {
      process.kill(-start.pid!, 'SIGKILL');
      await exited(start);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
