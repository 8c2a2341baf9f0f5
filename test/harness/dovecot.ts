// A private Dovecot for tests and benches: real IMAP on free loopback ports, plain (143-style, no
// STARTTLS needed) and implicit TLS (993-style) with a self-signed certificate, passwd-file users,
// maildir under a fresh temp folder. It never touches /etc/dovecot or a system instance.
//
//   const dovecot = await startDovecot();
//   const { user, password, address } = await dovecot.addUser();
//   await dovecot.append(user, rawMessage);
//   ...
//   await dovecot.stop();   // in afterAll
//
// Files: dovecot-config.ts (the conf), dovecot-process.ts (the master process), dovecot-users.ts
// (the passwd-file). Mail delivery goes through IMAP APPEND, as a real mail client would.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { type DovecotLimits, type DovecotOauth2Params, renderDovecotConfig, renderDovecotOauth2Settings } from './dovecot-config';
import { startDovecotProcess, type DovecotProcess } from './dovecot-process';
import { PasswdFiles } from './dovecot-users';
import { liveGroupMembers, signalQuietly, type GroupProcess } from './process-group';
import { freePorts } from './free-port';
import { createSelfSignedCert } from './self-signed-cert';

const execFileAsync = promisify(execFile);

// Mail is stored under a uid of each user's own (see dovecot-config.ts on inotify), from this
// base up; the uids need no /etc/passwd entry. The group is `nogroup`.
const FIRST_MAIL_UID = 200_000;
const MAIL_GID = 65534;
// Dovecot re-checks a passwd-file at most once per second; allow a few.
const AUTH_CHANGE_TIMEOUT_MS = 3_000;
const DEFAULT_LIMITS: DovecotLimits = { userIpConnections: 2000, imapProcesses: 2000 };

export type StartDovecotOptions = {
  /** Raise these for benches with many concurrent IDLE sessions. Defaults: 2000 each. */
  limits?: Partial<DovecotLimits>;
  /** Domain of the users' addresses (`user@domain`). Default `leopard.test` (a reserved TLD). */
  domain?: string;
  /** fsync mail writes. Default false: faster APPEND, durability is not under test. */
  fsync?: boolean;
  startTimeoutMs?: number;
  /**
   * How often an IDLE session without inotify events re-checks its mailbox (Dovecot's default is
   * 30 s). Matters when one user holds more than 128 IDLE sessions (see dovecot-config.ts). Default 1.
   */
  idleCheckIntervalSecs?: number;
  /** Accept OAuth2 tokens too, introspected at this authorization server (dovecot-config.ts renderDovecotOauth2Settings). */
  oauth2?: DovecotOauth2Params;
  /** Appended to dovecot.conf, e.g. `imap_idle_notify_interval = 10 secs` for a drill. */
  extraConfig?: string;
  /** Keep the temp folder after stop(), to read dovecot.log after a failure. */
  keepDir?: boolean;
};

export type DovecotUser = { user: string; password: string; address: string };

export type AppendOptions = {
  flags?: string[];
  /** Default INBOX; created on first use. */
  mailbox?: string;
  internalDate?: Date;
};

export type ConnectOptions = Partial<ImapFlowOptions> & {
  /** Connect to the implicit-TLS port, trusting the harness certificate. Default: the plain port, no STARTTLS. */
  tls?: boolean;
};

export type DovecotHarness = {
  readonly host: '127.0.0.1';
  readonly imapPort: number;
  readonly imapsPort: number;
  /** Dovecot's own POP3 service on the same users and mail: plain (offers STLS) and implicit TLS. */
  readonly pop3Port: number;
  readonly pop3sPort: number;
  /** The self-signed certificate both listeners present (CN=localhost, SAN localhost and 127.0.0.1). */
  readonly certPem: string;
  readonly dir: string;
  readonly instanceName: string;
  readonly running: boolean;
  /** Creates a mailbox user. Usable at once: Dovecot re-reads the passwd-file on the next login. */
  addUser(name?: string, password?: string): Promise<DovecotUser>;
  changePassword(user: string, password: string): Promise<void>;
  /** Removes the login (mail stays on disk). Open sessions of that user are not cut. */
  removeUser(user: string): Promise<void>;
  /** Delivers a message with IMAP APPEND over the plain port; resolves with its UID. */
  append(user: string, raw: Buffer | string, options?: AppendOptions): Promise<number>;
  /** A connected, logged-in ImapFlow client for `user`; closed by stop() if still open (not by stopServer()). */
  connect(user: string, options?: ConnectOptions): Promise<ImapFlow>;
  /** ImapFlow options for `user`, for clients the test wants to build itself (e.g. to watch connect() fail). */
  clientOptions(user: string, options?: ConnectOptions): ImapFlowOptions;
  /**
   * Gives the mailbox a new UIDVALIDITY (old + 1) with `doveadm mailbox update`, as a server
   * migration or index rebuild would. Resolves with the new value. Needs the server running.
   * Sessions that have the mailbox selected are disconnected by Dovecot.
   */
  bumpUidValidity(user: string, mailbox?: string): Promise<bigint>;
  /** Stops Dovecot but keeps users and mail, for fault drills; startServer() brings it back on the same ports. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  logTail(lines?: number): string;
  /** Running processes of this instance (master and the services it forked), for leak checks. */
  processes(): GroupProcess[];
  /** Stops Dovecot, closes the harness's clients and removes the temp folder. Idempotent. */
  stop(): Promise<void>;
};

export async function startDovecot(options: StartDovecotOptions = {}): Promise<DovecotHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'leopard-dovecot-'));
  try {
    // mkdtemp makes the folder 0700; Dovecot's unprivileged processes (the users' mail uids,
    // dovenull, dovecot) need to reach the mail, the sockets and the passwd-files below it.
    chmodSync(dir, 0o755);
    for (const sub of ['run', 'state', 'mail']) mkdirSync(path.join(dir, sub), { mode: 0o755 });
    const cert = await createSelfSignedCert(dir);
    const [imapPort, imapsPort, pop3Port, pop3sPort] = (await freePorts(4)) as [number, number, number, number];
    const instanceName = `leopard-test-${randomBytes(4).toString('hex')}`;
    const users = new PasswdFiles(path.join(dir, 'users'));
    const confPath = path.join(dir, 'dovecot.conf');
    const oauth2SettingsPath = path.join(dir, 'dovecot-oauth2.conf.ext');
    if (options.oauth2) writeFileSync(oauth2SettingsPath, renderDovecotOauth2Settings(options.oauth2));
    writeFileSync(
      confPath,
      renderDovecotConfig({
        dir,
        instanceName,
        imapPort,
        imapsPort,
        pop3Ports: { pop3: pop3Port, pop3s: pop3sPort },
        certPath: cert.certPath,
        keyPath: cert.keyPath,
        passwdFilePattern: users.pathPattern,
        limits: { ...DEFAULT_LIMITS, ...options.limits },
        fsync: options.fsync ?? false,
        idleCheckIntervalSecs: options.idleCheckIntervalSecs ?? 1,
        ...(options.oauth2 ? { oauth2: { settingsPath: oauth2SettingsPath } } : {}),
      }) + (options.extraConfig ? `\n${options.extraConfig}\n` : ''),
    );
    const harness = new TestDovecot({
      dir,
      confPath,
      imapPort,
      imapsPort,
      pop3Port,
      pop3sPort,
      certPem: cert.certPem,
      instanceName,
      users,
      domain: options.domain ?? 'leopard.test',
      startTimeoutMs: options.startTimeoutMs ?? 15_000,
      keepDir: options.keepDir ?? false,
    });
    try {
      await harness.startServer();
    } catch (err) {
      await harness.stop();
      throw err;
    }
    return harness;
  } catch (err) {
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

type TestDovecotParams = {
  dir: string;
  confPath: string;
  imapPort: number;
  imapsPort: number;
  pop3Port: number;
  pop3sPort: number;
  certPem: string;
  instanceName: string;
  users: PasswdFiles;
  domain: string;
  startTimeoutMs: number;
  keepDir: boolean;
};

class TestDovecot implements DovecotHarness {
  readonly host = '127.0.0.1' as const;
  readonly imapPort: number;
  readonly imapsPort: number;
  readonly pop3Port: number;
  readonly pop3sPort: number;
  readonly certPem: string;
  readonly dir: string;
  readonly instanceName: string;
  private readonly params: TestDovecotParams;
  private process: DovecotProcess | undefined;
  private userCounter = 0;
  // Kept when a user is removed, so that a user added again under the same name owns its mail.
  private readonly uids = new Map<string, number>();
  // One APPEND connection per user, shared by concurrent append() calls.
  private readonly appendClients = new Map<string, Promise<ImapFlow>>();
  private readonly openClients = new Set<ImapFlow>();
  private stopped: Promise<void> | undefined;

  // If the test process exits without stop() (a crash, an uncaught error), the instance must not
  // outlive it and its folder must not pile up in the temp dir.
  private readonly cleanUpOnExit = () => {
    if (this.process) signalQuietly(-this.process.pid, 'SIGKILL');
    if (!this.params.keepDir) rmSync(this.dir, { recursive: true, force: true });
  };

  constructor(params: TestDovecotParams) {
    process.once('exit', this.cleanUpOnExit);
    this.params = params;
    this.imapPort = params.imapPort;
    this.imapsPort = params.imapsPort;
    this.pop3Port = params.pop3Port;
    this.pop3sPort = params.pop3sPort;
    this.certPem = params.certPem;
    this.dir = params.dir;
    this.instanceName = params.instanceName;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  async addUser(name?: string, password?: string): Promise<DovecotUser> {
    const user = name ?? `user${++this.userCounter}-${randomBytes(3).toString('hex')}`;
    if (this.params.users.get(user)) throw new Error(`test user ${user} already exists`);
    const pass = password ?? randomBytes(12).toString('hex');
    let uid = this.uids.get(user);
    if (uid === undefined) {
      uid = FIRST_MAIL_UID + this.uids.size;
      this.uids.set(user, uid);
    }
    // Dovecot creates the Maildir itself, but only inside a home the user's uid may write to.
    const home = path.join(this.dir, 'mail', user);
    mkdirSync(home, { recursive: true, mode: 0o700 });
    chownSync(home, uid, MAIL_GID);
    this.params.users.set(user, { password: pass, uid, gid: MAIL_GID, home });
    return { user, password: pass, address: user.includes('@') ? user : `${user}@${this.params.domain}` };
  }

  async changePassword(user: string, password: string): Promise<void> {
    const entry = this.params.users.get(user);
    if (!entry) throw new Error(`unknown test user ${user}`);
    await this.dropAppendClient(user);
    this.params.users.set(user, { ...entry, password });
    if (this.running) await this.waitForAuthResult(user, password, true);
  }

  async removeUser(user: string): Promise<void> {
    const password = this.passwordOf(user);
    await this.dropAppendClient(user);
    this.params.users.delete(user);
    if (this.running) await this.waitForAuthResult(user, password, false);
  }

  clientOptions(user: string, options: ConnectOptions = {}): ImapFlowOptions {
    const { tls, ...overrides } = options;
    const password = this.passwordOf(user);
    return {
      host: this.host,
      port: tls ? this.imapsPort : this.imapPort,
      secure: !!tls,
      // The plain port offers STARTTLS; tests of the plain path must not be upgraded silently.
      doSTARTTLS: tls ? undefined : false,
      tls: tls ? { ca: this.certPem } : undefined,
      auth: { user, pass: password },
      logger: false,
      ...overrides,
    };
  }

  async connect(user: string, options: ConnectOptions = {}): Promise<ImapFlow> {
    const client = new ImapFlow(this.clientOptions(user, options));
    // ImapFlow emits 'error' for socket failures after connect; without a listener Node would
    // crash the test process. The failure still shows as a rejected command and a 'close'.
    client.on('error', () => {});
    this.openClients.add(client);
    client.once('close', () => this.openClients.delete(client));
    try {
      await client.connect();
    } catch (err) {
      this.openClients.delete(client);
      client.close();
      throw err;
    }
    return client;
  }

  async append(user: string, raw: Buffer | string, options: AppendOptions = {}): Promise<number> {
    const mailbox = options.mailbox ?? 'INBOX';
    const client = await this.appendClient(user);
    const appendOnce = () => client.append(mailbox, raw, options.flags, options.internalDate);
    let result;
    try {
      result = await appendOnce();
    } catch (err) {
      if ((err as { serverResponseCode?: string }).serverResponseCode !== 'TRYCREATE') throw err;
      await client.mailboxCreate(mailbox);
      result = await appendOnce();
    }
    if (!result || result.uid === undefined) throw new Error(`APPEND to ${user}/${mailbox} returned no UID`);
    return result.uid;
  }

  async bumpUidValidity(user: string, mailbox = 'INBOX'): Promise<bigint> {
    if (!this.params.users.get(user)) throw new Error(`unknown test user ${user}`);
    const current = await this.doveadmUidValidity(user, mailbox);
    const next = current + 1n;
    await execFileAsync('doveadm', ['-c', this.params.confPath, 'mailbox', 'update', '-u', user, '--uid-validity', String(next), mailbox]);
    const after = await this.doveadmUidValidity(user, mailbox);
    if (after !== next) throw new Error(`UIDVALIDITY of ${user}/${mailbox} is ${after} after setting it to ${next}`);
    return next;
  }

  async startServer(): Promise<void> {
    if (this.stopped) throw new Error('this Dovecot harness was stopped');
    if (this.process?.running) return;
    this.process = await startDovecotProcess({
      confPath: this.params.confPath,
      logPath: path.join(this.dir, 'dovecot.log'),
      imapPort: this.imapPort,
      imapsPort: this.imapsPort,
      startTimeoutMs: this.params.startTimeoutMs,
    });
  }

  async stopServer(): Promise<void> {
    // Only the harness's own APPEND connections are closed politely. Clients handed out by
    // connect() stay open, so that they see the server go away, as the worker would.
    await this.closeAppendClients();
    await this.process?.stop();
  }

  logTail(lines = 40): string {
    // The last run's log stays readable after stopServer(), for failure reports.
    return this.process?.logTail(lines) ?? '';
  }

  processes(): GroupProcess[] {
    return this.process ? liveGroupMembers(this.process.pid) : [];
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await Promise.all([...this.openClients].map(closeClient));
      await this.stopServer();
      process.removeListener('exit', this.cleanUpOnExit);
      if (!this.params.keepDir) rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.stopped;
  }

  private passwordOf(user: string): string {
    const entry = this.params.users.get(user);
    if (!entry) throw new Error(`unknown test user ${user}`);
    return entry.password;
  }

  private appendClient(user: string): Promise<ImapFlow> {
    let pending = this.appendClients.get(user);
    if (!pending) {
      // No IDLE: this connection only appends, and IDLE would have to be broken before each APPEND.
      pending = this.connect(user, { disableAutoIdle: true });
      this.appendClients.set(user, pending);
      // A closed client (server restart, UIDVALIDITY change, socket timeout) is replaced on next use:
      // ImapFlow does not reconnect by itself.
      pending.then(
        (client) => client.once('close', () => this.appendClients.get(user) === pending && this.appendClients.delete(user)),
        () => this.appendClients.delete(user),
      );
    }
    return pending;
  }

  private async dropAppendClient(user: string): Promise<void> {
    const pending = this.appendClients.get(user);
    if (!pending) return;
    this.appendClients.delete(user);
    const client = await pending.catch(() => undefined);
    if (client) await closeClient(client);
  }

  private async closeAppendClients(): Promise<void> {
    const pending = [...this.appendClients.values()];
    this.appendClients.clear();
    await Promise.all(pending.map((client) => client.then(closeClient, () => undefined)));
  }

  /**
   * Dovecot may answer from its view of a user's passwd-file for up to a second after a change
   * (see dovecot-users.ts). Asks the auth service through doveadm until the answer is the new one,
   * so that a test never sees the old password work after changePassword() resolved.
   */
  private async waitForAuthResult(user: string, password: string, shouldSucceed: boolean): Promise<void> {
    const deadline = Date.now() + AUTH_CHANGE_TIMEOUT_MS;
    for (;;) {
      const succeeded = await execFileAsync('doveadm', ['-c', this.params.confPath, 'auth', 'test', '-x', 'service=imap', user, password]).then(
        () => true,
        () => false,
      );
      if (succeeded === shouldSucceed) return;
      if (Date.now() > deadline) throw new Error(`Dovecot still ${succeeded ? 'accepts' : 'refuses'} the password of ${user} after ${AUTH_CHANGE_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async doveadmUidValidity(user: string, mailbox: string): Promise<bigint> {
    const { stdout } = await execFileAsync('doveadm', ['-c', this.params.confPath, '-f', 'flow', 'mailbox', 'status', '-u', user, 'uidvalidity', mailbox]);
    const match = /uidvalidity=(\d+)/.exec(stdout);
    if (!match) throw new Error(`doveadm printed no uidvalidity for ${user}/${mailbox}: ${stdout.trim()}`);
    return BigInt(match[1]!);
  }
}

// LOGOUT politely when the connection is usable, otherwise just drop it.
async function closeClient(client: ImapFlow): Promise<void> {
  if (client.usable) {
    try {
      await client.logout();
      return;
    } catch {
      // fall through to close()
    }
  }
  client.close();
}
