// Decides which mailboxes this worker works. Every tick it renews its leases, stops sessions for
// processors that are no longer runnable (deactivated, no filter, deleted) or whose lease it lost,
// and leases free runnable processors. An admin change arrives as a NOTIFY and triggers a tick at
// once; a changed connection setting restarts that processor's session. Workers share the work:
// each holds at most its fair share (runnable processors / live workers) and hands back the rest,
// so a worker started later gets mailboxes without waiting for another to die. A dead worker's mailboxes
// are taken over within about a second of its death: each worker holds a liveness lock that PostgreSQL frees
// when its process dies (worker/liveness-lock.ts), and the supervisor looks for freed locks every second.
// Failing that (a worker whose lock is still held but that stopped working), when its leases lapse: the
// supervisor also ticks then.
import type postgres from 'postgres';
import type { Database } from '../server/db/client';
import type { Logger } from '../server/log';
import {
  acquireLeases,
  fairShare,
  forgetWorker,
  heartbeat,
  msUntilNextForeignLapse,
  processorSettingsVersion,
  releaseLeases,
  renewLeases,
  sessionStarts,
  unrunnableAmong,
} from '../server/services/leases';
import { PROCESSORS_CHANNEL } from '../server/services/processors';
import { deadWorkersHoldingLeases } from '../server/services/worker-liveness';
import { MailboxSession, type MailboxSessionDeps } from './mailbox-session';
import { Pop3Session } from './pop3-session';
import { CoalescedRun } from './run-coalesced';
import type { MailboxSessionLike } from './session-reporter';

/** Ticks this long after a foreign lease lapses, so Postgres's now() has certainly passed it. */
const LAPSE_MARGIN_MS = 50;
/** How often a worker looks for another worker known dead by its freed liveness lock that still holds leases. */
const DEAD_WORKER_CHECK_MS = 1_000;

export type SupervisorOptions = {
  db: Database;
  sql: postgres.Sql;
  workerId: string;
  leaseTtlMs: number;
  maxSessions: number;
  sessionDeps: MailboxSessionDeps;
  log: Logger;
  /** The outbox transport's name ('resend', 'smtp'), reported with the heartbeat; null when there is none. */
  outboundTransport?: string | null;
  /** This worker's liveness lock (worker/liveness-lock.ts), checked on every tick; without it, only the heartbeat. */
  liveness?: { ensure(): Promise<boolean> };
  /** How often to look for dead workers' leases (DEAD_WORKER_CHECK_MS unless given). */
  deadWorkerCheckMs?: number;
};

export class Supervisor {
  private readonly sessions = new Map<string, MailboxSessionLike>();
  private timer: NodeJS.Timeout | null = null;
  /** A tick at the moment another worker's next lease or heartbeat lapses. */
  private lapseTimer: NodeJS.Timeout | null = null;
  /** Looks for leases of workers whose liveness lock was freed. */
  private deadWorkerTimer: NodeJS.Timeout | null = null;
  private lookingForDead = false;
  private lastDead = '';
  private stopped = false;
  private readonly ticks = new CoalescedRun({
    run: () => this.tick(),
    onError: (err) => this.options.log.error({ err: (err as Error)?.cause ?? err }, 'supervisor tick failed'),
    stopped: () => this.stopped,
  });
  private unlisten: (() => Promise<void>) | null = null;
  private readonly changed = new Set<string>();

  constructor(private readonly options: SupervisorOptions) {}

  get heldProcessorIds(): string[] {
    return [...this.sessions.keys()];
  }

  async start(): Promise<void> {
    const listener = await this.options.sql.listen(PROCESSORS_CHANNEL, (processorId) => {
      this.changed.add(processorId);
      this.requestTick();
    });
    this.unlisten = () => listener.unlisten();
    // Renew well before the lease lapses, so a slow tick never costs a mailbox.
    this.timer = setInterval(() => this.requestTick(), Math.max(500, Math.floor(this.options.leaseTtlMs / 3)));
    this.deadWorkerTimer = setInterval(() => void this.lookForDeadWorkers(), this.options.deadWorkerCheckMs ?? DEAD_WORKER_CHECK_MS);
    this.requestTick();
    await this.ticks.running;
  }

  requestTick(): void {
    this.ticks.request();
  }

  /** A tick now when a dead worker still holds leases; a tick takes them (acquireLeases). */
  private async lookForDeadWorkers(): Promise<void> {
    if (this.lookingForDead || this.stopped) return;
    this.lookingForDead = true;
    try {
      if (this.sessions.size >= this.options.maxSessions) return;
      const dead = await deadWorkersHoldingLeases({ db: this.options.db, workerId: this.options.workerId });
      if (dead.length === 0) return;
      const key = dead.sort().join(' ');
      if (key !== this.lastDead) this.options.log.info({ workers: dead }, 'a worker died (its liveness lock was freed); taking over its mailboxes');
      this.lastDead = key;
      this.requestTick();
    } catch (err) {
      this.options.log.warn({ err: (err as Error)?.cause ?? err }, 'could not look for dead workers');
    } finally {
      this.lookingForDead = false;
    }
  }

  private async tick(): Promise<void> {
    const { db, workerId, leaseTtlMs, log, outboundTransport } = this.options;
    // Taken again at once after a reconnect or a PostgreSQL restart; until then only the heartbeat speaks for us.
    await this.options.liveness?.ensure();
    await heartbeat({ db, workerId, ttlMs: leaseTtlMs, outboundTransport });
    const held = this.heldProcessorIds;
    const stillHeld = await renewLeases({ db, workerId, ttlMs: leaseTtlMs, processorIds: held });
    for (const id of held) {
      if (!stillHeld.has(id)) {
        log.warn({ processorId: id }, 'lease lost; stopping the mailbox session');
        await this.stopSession(id);
      }
    }

    const unrunnable = await unrunnableAmong({ db, processorIds: this.heldProcessorIds });
    for (const id of unrunnable) {
      log.info({ processorId: id }, 'processor no longer runnable; stopping');
      await this.stopSession(id);
    }
    await releaseLeases({ db, workerId, processorIds: [...unrunnable] });

    for (const id of [...this.changed]) {
      this.changed.delete(id);
      const session = this.sessions.get(id);
      if (session && (await processorSettingsVersion({ db, processorId: id })) !== session.settingsVersion) {
        log.info({ processorId: id }, 'settings changed; reconnecting');
        await this.stopSession(id);
        await this.startSessions([id]);
      }
    }

    if (this.stopped) return;
    const limit = Math.min(this.options.maxSessions, await fairShare({ db, ttlMs: leaseTtlMs }));
    const surplus = this.heldProcessorIds.slice(limit);
    if (surplus.length > 0) {
      log.info({ count: surplus.length, limit }, 'handing processors to other workers');
      for (const id of surplus) await this.stopSession(id);
      await releaseLeases({ db, workerId, processorIds: surplus });
    }
    const room = limit - this.sessions.size;
    if (room > 0) await this.startSessions(await acquireLeases({ db, workerId, ttlMs: leaseTtlMs, limit: room }));
    await this.tickAtNextLapse();
  }

  private async tickAtNextLapse(): Promise<void> {
    const { db, workerId, leaseTtlMs } = this.options;
    const ms = await msUntilNextForeignLapse({ db, workerId, ttlMs: leaseTtlMs });
    if (this.lapseTimer) clearTimeout(this.lapseTimer);
    this.lapseTimer = null;
    // The interval tick comes soon enough for anything later than it.
    if (ms === null || this.stopped || ms > leaseTtlMs / 3) return;
    this.lapseTimer = setTimeout(() => this.requestTick(), Math.max(0, ms) + LAPSE_MARGIN_MS);
    this.lapseTimer.unref();
  }

  /**
   * One query for the settings versions of every processor just leased, then the sessions, without awaiting
   * them. Awaiting a query per processor, queued behind the database work of the sessions already started,
   * made the tick that takes on 1,000 mailboxes outlast LEASE_TTL_MS: every lease lapsed before the next
   * renewal, and the worker stopped and started every session again (bench/scenarios/many-mailboxes.ts).
   */
  private async startSessions(processorIds: string[]): Promise<void> {
    if (processorIds.length === 0 || this.stopped) return;
    const rows = await sessionStarts({ db: this.options.db, processorIds });
    for (const row of rows) {
      if (this.stopped) return;
      // One more kind of mailbox session: leases, state and ingest work the same for both.
      const session =
        row.type === 'pop3'
          ? new Pop3Session(row.id, row.settingsVersion, this.options.sessionDeps)
          : new MailboxSession(row.id, row.settingsVersion, this.options.sessionDeps);
      this.sessions.set(row.id, session);
      session.start();
    }
  }

  private async stopSession(processorId: string): Promise<void> {
    const session = this.sessions.get(processorId);
    this.sessions.delete(processorId);
    await session?.stop();
  }

  /** Idempotent: stops every session and hands the leases back so another worker takes over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.lapseTimer) clearTimeout(this.lapseTimer);
    if (this.deadWorkerTimer) clearInterval(this.deadWorkerTimer);
    await this.ticks.running;
    await this.unlisten?.().catch(() => {});
    const held = this.heldProcessorIds;
    await Promise.all(held.map((id) => this.stopSession(id)));
    await releaseLeases({ db: this.options.db, workerId: this.options.workerId, processorIds: held }).catch(() => {});
    await forgetWorker({ db: this.options.db, workerId: this.options.workerId }).catch(() => {});
  }
}
