// The worker's liveness lock (server/services/worker-liveness.ts): a session-level advisory lock held on a
// database connection of its own for as long as the process lives. When the process dies, its connection
// closes and PostgreSQL frees the lock at once, which tells the other workers to take over its mailboxes
// without waiting for LEASE_TTL_MS.
//
// Decisions:
// - The connection is a pool of one that nothing else uses, with no idle timeout and no maximum lifetime, so
//   postgres.js never closes it on its own and no other query of the worker's waits behind it.
// - ensure() runs on every supervisor tick: it checks that this very session still holds the lock (taking
//   it again after a reconnect or a PostgreSQL restart) and records the key and the server run on the
//   worker's row. A failure or a check slower than `timeoutMs` drops the connection and tries a new one at the
//   next tick; it never throws, because without the lock the worker is still judged by its heartbeat.
// - A key another session holds (two workers drew the same one) is drawn again.
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Database } from '../server/db/client';
import * as schema from '../server/db/schema';
import type { Logger } from '../server/log';
import { holdLivenessLock, randomLivenessKey } from '../server/services/worker-liveness';

export type LivenessLockOptions = { url: string; workerId: string; log: Logger; timeoutMs: number };

export class LivenessLock {
  private pool: { sql: postgres.Sql; db: Database } | null = null;
  private key = randomLivenessKey();
  private held = false;
  /** The lock could not be had at the last check (logged once per outage). */
  private failing = false;
  private stopped = false;

  constructor(private readonly o: LivenessLockOptions) {}

  /** Whether the lock was held at the last check. */
  get holding(): boolean {
    return this.held;
  }

  /** Takes or confirms the lock; false when it could not (the worker then counts on its heartbeat alone). */
  async ensure(): Promise<boolean> {
    if (this.stopped) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.o.timeoutMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([this.check(), timeout]);
      if (outcome === 'timeout') throw new Error(`no answer within ${this.o.timeoutMs} ms`);
      if (!outcome) throw new Error('every key drawn is held by another session');
      if (this.failing) this.o.log.info('liveness lock taken again');
      this.held = true;
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        this.o.log.warn({ err: (err as Error)?.message ?? String(err) }, 'liveness lock unavailable; other workers judge this one by its heartbeat until it is taken again');
      }
      this.failing = true;
      this.held = false;
      this.drop();
    } finally {
      clearTimeout(timer);
    }
    return this.held;
  }

  private async check(): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!this.pool) {
        const session = postgres(this.o.url, {
          max: 1,
          idle_timeout: 0,
          max_lifetime: 0,
          onnotice: () => {},
          connection: { application_name: 'leopard-worker-liveness' },
        });
        this.pool = { sql: session, db: drizzle(session, { schema }) };
      }
      if (await holdLivenessLock({ db: this.pool.db, workerId: this.o.workerId, key: this.key })) return true;
      this.key = randomLivenessKey();
    }
    return false;
  }

  private drop(): void {
    const pool = this.pool;
    this.pool = null;
    void pool?.sql.end({ timeout: 0 }).catch(() => {});
  }

  /** Lets the lock go (the connection closes): call after the worker handed back its mailboxes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.held = false;
    const pool = this.pool;
    this.pool = null;
    await pool?.sql.end({ timeout: 2 }).catch(() => {});
  }
}
