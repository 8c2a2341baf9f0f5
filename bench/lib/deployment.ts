// One Leopard as a scenario runs it: a fresh database, mailboxes on the shared bench Dovecot wired to
// email processors (through the admin services, as an admin would), the real worker process(es) and,
// when a scenario watches pushes or the list, the real web server.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DovecotHarness } from '../../test/harness/dovecot';
import { type Mailbox, mailboxHarness } from '../../test/harness/mailboxes';
import type { FakeResendServer } from '../../test/harness/resend-server';
import { startWorker, type WorkerProcess } from '../../test/harness/worker-process';
import type { BenchDatabase, BenchPostgres } from './postgres';
import { startWebServer, type WebServer } from './web-server';

export type { Mailbox };

/** The product's own defaults (server/env.ts), not the test harness's shortened ones. */
export const PRODUCT_WORKER_ENV = { LEASE_TTL_MS: '15000', POLL_INTERVAL_MS: '60000' };

export type DeploymentOptions = {
  postgres: BenchPostgres;
  dovecot: DovecotHarness;
  resend?: FakeResendServer;
  label: string;
};

export class Deployment {
  readonly secretKey = randomBytes(32);
  readonly authSecret = randomBytes(32).toString('base64');
  readonly workers: WorkerProcess[] = [];
  web: WebServer | null = null;

  private constructor(
    readonly database: BenchDatabase,
    private readonly options: DeploymentOptions,
  ) {}

  static async create(options: DeploymentOptions): Promise<Deployment> {
    return new Deployment(await options.postgres.createDatabase(options.label), options);
  }

  get db() {
    return this.database.db;
  }

  /** `count` new Dovecot users, each with an active processor and a default filter; no worker needed. */
  async createMailboxes(count: number, options: { autoReply?: boolean; prefix?: string; concurrency?: number } = {}): Promise<Mailbox[]> {
    const harness = mailboxHarness({ dovecot: this.options.dovecot, db: this.db, admin: this.database.admin, secretKey: this.secretKey });
    const boxes: Mailbox[] = new Array(count);
    let next = 0;
    const prefix = options.prefix ?? this.options.label;
    const lane = async () => {
      for (let i = next++; i < count; i = next++) {
        const account = await this.options.dovecot.addUser(`${prefix}${i}-${randomBytes(2).toString('hex')}`);
        boxes[i] = await harness.connect({ account, autoReply: options.autoReply ?? false, waitForFirstSync: false });
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 6, count) }, lane));
    return boxes;
  }

  async startWorker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = await startWorker({
      databaseUrl: this.database.url,
      secretKey: this.secretKey.toString('base64'),
      trustedCertPem: this.options.dovecot.certPem,
      resend: this.options.resend,
      // BENCH_WORKER_NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=bench/.work/prof", to profile the worker.
      env: { ...PRODUCT_WORKER_ENV, ...(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {}), ...env },
    });
    this.workers.push(worker);
    await worker.ready();
    return worker;
  }

  async startWeb(): Promise<WebServer> {
    this.web = await startWebServer({ databaseUrl: this.database.url, authSecret: this.authSecret, secretKey: this.secretKey.toString('base64') });
    return this.web;
  }

  /** Processors (of `ids`) whose worker reports them idle: connected, synced, waiting in IDLE. */
  async idleCount(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [row] = await this.db.execute<{ n: number }>(
      sql`select count(*)::int as n from email_processors where sync_status = 'idle' and id in ${ids}`,
    );
    return row!.n;
  }

  /** Waits until every processor of `ids` is idle; resolves with the milliseconds it took. */
  async waitForIdle(ids: string[], timeoutMs: number, onProgress?: (idle: number) => void): Promise<number> {
    const started = performance.now();
    let lastReport = 0;
    for (;;) {
      const idle = await this.idleCount(ids);
      if (idle === ids.length) return performance.now() - started;
      if (onProgress && performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        onProgress(idle);
      }
      if (performance.now() - started > timeoutMs) throw new Error(`only ${idle} of ${ids.length} processors idle after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    await this.web?.stop();
    await Promise.all(this.workers.splice(0).map((w) => w.kill('SIGTERM')));
    await this.database.drop();
  }
}
