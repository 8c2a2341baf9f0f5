// The bench's database server: an embedded PostgreSQL in a temp folder (so the drills may stop and
// restart it), or the server named by BENCH_DATABASE_URL. Each scenario gets a fresh database on it,
// migrated and seeded the way the app seeds itself, and dropped at the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createPool, type Database } from '../../server/db/client';
import { startEmbeddedPostgres } from '../../server/db/embedded';
import { migrateDatabase } from '../../server/db/migrate';
import type { AuditActor } from '../../server/services/audit';
import { seedAdmin } from '../../test/harness/mailboxes';
import { freePort } from '../../test/harness/free-port';

export type BenchDatabase = {
  url: string;
  name: string;
  db: Database;
  sql: postgres.Sql;
  admin: AuditActor;
  /** Closes the pool and drops the database (its disk space matters: the import stores ~700 MB). */
  drop(): Promise<void>;
};

export type BenchPostgres = {
  readonly embedded: boolean;
  readonly description: string;
  /** The embedded server's postmaster pid (for its CPU use), null for BENCH_DATABASE_URL. */
  serverPid(): number | null;
  /** A fresh, migrated database with the default catalog and an admin. */
  createDatabase(label: string): Promise<BenchDatabase>;
  /** Stops the server for `downMs` and starts it again on the same port and data (embedded only). */
  restart(downMs: number): Promise<{ stoppedAt: number; startedAt: number }>;
  stop(): Promise<void>;
};

export async function startBenchPostgres(log: (message: string) => void): Promise<BenchPostgres> {
  const external = process.env.BENCH_DATABASE_URL;
  let adminUrl: string;
  let stopServer = async () => {};
  let dataDir: string | null = null;
  let port = 0;
  if (external) {
    adminUrl = external;
  } else {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'leopard-bench-pg-'));
    port = await freePort();
    const started = await startEmbeddedPostgres({ dataDir, port, log: () => {} });
    adminUrl = started.url;
    stopServer = started.stop;
  }
  const created: Array<{ name: string; pool: postgres.Sql }> = [];
  log(external ? `database server: BENCH_DATABASE_URL` : `database server: embedded PostgreSQL on 127.0.0.1:${port}`);

  const withAdmin = async <T>(run: (admin: postgres.Sql) => Promise<T>): Promise<T> => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      return await run(admin);
    } finally {
      await admin.end({ timeout: 5 });
    }
  };

  return {
    embedded: !external,
    description: external ? 'BENCH_DATABASE_URL' : 'embedded PostgreSQL 18 (temp folder)',
    serverPid() {
      if (!dataDir) return null;
      try {
        return Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
      } catch {
        return null;
      }
    },
    async createDatabase(label) {
      const name = `leopard_bench_${label.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`;
      await withAdmin((admin) => admin.unsafe(`create database ${name}`));
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      await migrateDatabase(url.toString());
      const pool = createPool(url.toString(), { max: 8, applicationName: 'leopard-bench' });
      created.push({ name, pool: pool.sql });
      const admin = await seedAdmin(pool.db);
      const drop = async () => {
        const i = created.findIndex((c) => c.name === name);
        if (i === -1) return;
        created.splice(i, 1);
        await pool.sql.end({ timeout: 2 }).catch(() => {});
        await withAdmin((a) => a.unsafe(`drop database if exists ${name} with (force)`)).catch(() => {});
      };
      return { url: url.toString(), name, db: pool.db, sql: pool.sql, admin, drop };
    },
    async restart(downMs) {
      if (!dataDir) throw new Error('restart needs the bench’s own (embedded) database');
      await stopServer();
      const stoppedAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      const started = await startEmbeddedPostgres({ dataDir, port, log: () => {} });
      stopServer = started.stop;
      return { stoppedAt, startedAt: performance.now() };
    },
    async stop() {
      for (const { name, pool } of created.splice(0)) {
        await pool.end({ timeout: 2 }).catch(() => {});
        if (external) await withAdmin((admin) => admin.unsafe(`drop database if exists ${name} with (force)`)).catch(() => {});
      }
      await stopServer().catch(() => {});
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
