// Measures push latency the way the issue defines it, per message:
//   t0     the bench starts an IMAP APPEND (on a warm connection of its own);
//   tIdle  a bare imapflow client, IDLE on the same mailbox, hears EXISTS (the baseline: Dovecot itself
//          waits ~500 ms before telling IDLE clients, so no client can learn of new mail sooner);
//   tCase  a signed-in Socket.IO client of the real web server receives `case.created` for it.
// Leopard's added latency is tCase − tIdle. Mail is recognised by the [token] that starts its subject.
// With `delivery: 'maildir'` t0 is the moment the file lands in the user's Maildir (as a local delivery
// agent delivers, no IMAP session of its own): thousands of mailboxes then need no APPEND connection each.
import { ImapFlow } from 'imapflow';
import type { Socket } from 'socket.io-client';
import type { CaseEvent } from '../../server/realtime/events';
import type { DovecotHarness } from '../../test/harness/dovecot';
import type { Mailbox } from './deployment';
import { deliverToMaildir } from './maildir';

/** How long a message may take before it counts as missed. */
const MISSED_AFTER_MS = 30_000;
/** imapflow's quiet time before it enters IDLE (the worker uses the same). */
const IDLE_AFTER_MS = 200;

export type PushSample = {
  token: string;
  user: string;
  /** APPEND start → baseline EXISTS. */
  baselineMs: number;
  /** APPEND start → case.created on the socket. */
  leopardMs: number;
  /** leopardMs − baselineMs. */
  addedMs: number;
};

type Pending = {
  token: string;
  user: string;
  t0: number;
  tIdle?: number;
  tCase?: number;
  resolve: (sample: PushSample | null) => void;
  timer: NodeJS.Timeout;
};

export class PushProbe {
  private readonly watchers = new Map<string, ImapFlow>();
  private readonly appenders = new Map<string, ImapFlow>();
  private readonly pending = new Map<string, Pending>();
  /** Per mailbox, messages appended and not yet announced by EXISTS, oldest first. */
  private readonly awaitingExists = new Map<string, Pending[]>();
  /** case.created events that came before their APPEND resolved bookkeeping (never expected, but kept). */
  private readonly early = new Map<string, number>();
  readonly missed: string[] = [];
  private socket: Socket | null = null;

  constructor(
    private readonly dovecot: DovecotHarness,
    private readonly delivery: 'append' | 'maildir' = 'append',
  ) {}

  /** Listens for case.created on a signed-in socket. */
  listen(socket: Socket): void {
    this.socket = socket;
    socket.on('case.created', (event: CaseEvent) => {
      const at = performance.now();
      const token = /^\[([^\]]+)\]/.exec(event.case.subject)?.[1];
      if (!token) return;
      const p = this.pending.get(token);
      if (!p) {
        this.early.set(token, at);
        return;
      }
      p.tCase ??= at;
      this.settle(p);
    });
  }

  /**
   * Opens the baseline IDLE client and a warm APPEND connection for each mailbox, `concurrency` logins
   * at a time (Dovecot takes ~30–50 logins/s here). Resolves with the seconds it took.
   */
  async watch(boxes: Mailbox[], concurrency = 8, onProgress?: (done: number) => void): Promise<number> {
    const started = performance.now();
    let next = 0;
    let done = 0;
    const lane = async () => {
      for (let i = next++; i < boxes.length; i = next++) {
        const user = boxes[i]!.user;
        await this.openWatcher(user);
        if (this.delivery === 'append') this.appenders.set(user, await this.dovecot.connect(user, { disableAutoIdle: true }));
        done++;
        if (onProgress && done % 100 === 0) onProgress(done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, boxes.length) }, lane));
    // Let every watcher settle into IDLE before the first APPEND.
    await new Promise((r) => setTimeout(r, IDLE_AFTER_MS * 5));
    return (performance.now() - started) / 1000;
  }

  private async openWatcher(user: string): Promise<void> {
    const client = await this.dovecot.connect(user, { autoIdleDelay: IDLE_AFTER_MS, socketTimeout: 30 * 60_000 });
    await client.mailboxOpen('INBOX', { readOnly: true });
    client.on('exists', (info: { count: number; prevCount: number }) => {
      const at = performance.now();
      const queue = this.awaitingExists.get(user) ?? [];
      for (let n = Math.max(1, info.count - info.prevCount); n > 0 && queue.length > 0; n--) {
        const p = queue.shift()!;
        p.tIdle = at;
        this.settle(p);
      }
    });
    this.watchers.set(user, client);
  }

  /** Delivers `raw` to the mailbox; resolves with the sample once both clients heard of it, or null when missed. */
  send(user: string, token: string, raw: Buffer, timeoutMs = MISSED_AFTER_MS): Promise<PushSample | null> {
    const appender = this.appenders.get(user);
    if (this.delivery === 'append' && !appender) throw new Error(`no warm APPEND connection for ${user}`);
    return new Promise((resolve) => {
      const p: Pending = {
        token,
        user,
        t0: performance.now(),
        resolve,
        timer: setTimeout(() => {
          this.pending.delete(token);
          const queue = this.awaitingExists.get(user) ?? [];
          const at = queue.indexOf(p);
          if (at >= 0) queue.splice(at, 1);
          this.missed.push(token);
          resolve(null);
        }, timeoutMs),
      };
      this.pending.set(token, p);
      const queue = this.awaitingExists.get(user) ?? [];
      queue.push(p);
      this.awaitingExists.set(user, queue);
      const early = this.early.get(token);
      if (early !== undefined) p.tCase = early;
      const failed = (err: unknown) => {
        clearTimeout(p.timer);
        this.pending.delete(token);
        this.missed.push(token);
        process.stderr.write(`delivery of ${token} failed: ${(err as Error).message}\n`);
        resolve(null);
      };
      if (appender) appender.append('INBOX', raw).catch(failed);
      else {
        try {
          deliverToMaildir(this.dovecot, user, raw);
        } catch (err) {
          failed(err);
        }
      }
    });
  }

  private settle(p: Pending): void {
    if (p.tIdle === undefined || p.tCase === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(p.token);
    p.resolve({ token: p.token, user: p.user, baselineMs: p.tIdle - p.t0, leopardMs: p.tCase - p.t0, addedMs: p.tCase - p.tIdle });
  }

  async close(): Promise<void> {
    const clients = [...this.watchers.values(), ...this.appenders.values()];
    this.watchers.clear();
    this.appenders.clear();
    await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));
  }
}
