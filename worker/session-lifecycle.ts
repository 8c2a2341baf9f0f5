// The life of a mailbox session of either kind (IMAP: worker/mailbox-session.ts, POP3: worker/pop3-session.ts):
// created → running → stopping → stopped, one loop per session, a wake signal that stop() and the server's
// news cut short, and the waiting for Reconnect once an OAuth2 provider refused. Each kind writes only its own
// protocol loop (`run`); what it reports goes through worker/session-reporter.ts.
import type { Logger } from '../server/log';
import type { MailboxSessionDeps } from './mailbox-session';
import { type MailboxSessionLike, SessionReporter } from './session-reporter';
import { WakeSignal } from './wake-signal';

type SessionState = 'created' | 'running' | 'stopping' | 'stopped';

/** How long a session waiting for Reconnect sleeps between looks at whether it is being stopped. */
const RECONNECT_WAIT_MS = 60 * 60 * 1000;

export abstract class SessionLifecycle<Client extends { close(): void }, Deps extends MailboxSessionDeps = MailboxSessionDeps>
  implements MailboxSessionLike
{
  private state: SessionState = 'created';
  private loop: Promise<void> | null = null;
  protected client: Client | null = null;
  protected readonly signal = new WakeSignal();
  protected readonly reporter: SessionReporter;
  /** When this mailbox last synced: a server that worked and now refuses is down, not misconfigured. */
  protected lastSuccessAt: Date | null = null;
  /** OAuth2: the mailbox the token was sent for, so a refused login is not called a wrong password. */
  protected signedInAs: string | null = null;
  /** Where the last connection went, so error messages can name the server. */
  protected server: { host: string; port: number; useSsl: boolean } | null = null;

  constructor(
    readonly processorId: string,
    /** The processor's updated_at when this session started: an admin edit changes it. */
    readonly settingsVersion: number,
    protected readonly deps: Deps,
  ) {
    this.reporter = new SessionReporter(deps.db, deps.metrics, processorId);
  }

  /** The protocol loop; it returns once `stopping` is true. */
  protected abstract run(): Promise<void>;

  start(): void {
    if (this.state !== 'created') return;
    this.state = 'running';
    this.loop = this.run();
  }

  /** Idempotent. Closes the connection at once; an ingest in flight finishes its transaction. */
  async stop(): Promise<void> {
    if (this.state === 'created') this.state = 'stopped';
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    this.signal.wake();
    this.client?.close();
    await this.loop;
    this.state = 'stopped';
  }

  protected get stopping(): boolean {
    return this.state !== 'running';
  }

  /** The processor is gone: the loop ends without waiting for stop(). */
  protected endSoon(): void {
    if (this.state === 'running') this.state = 'stopping';
  }

  protected log(): Logger {
    return this.deps.log.child({ processorId: this.processorId });
  }

  /**
   * The provider refused the sign-in: asking again gets the same refusal and hammers it. Wait for Reconnect,
   * which changes the processor and so restarts this session (worker/supervisor.ts).
   */
  protected async waitForReconnect(): Promise<void> {
    this.client?.close();
    this.client = null;
    while (!this.stopping) await this.signal.wait(RECONNECT_WAIT_MS);
  }
}
