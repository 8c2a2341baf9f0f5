// What the servers tier needs of a mail server, whichever it is: Dovecot (test/harness/dovecot.ts),
// Cyrus IMAP (cyrus.ts) or Courier IMAP (courier.ts), each a private instance on a loopback port. Cyrus and
// Courier run from Debian's packages unpacked by scripts/install-mail-servers.sh (they conflict with the
// installed dovecot-imapd, so they are never installed). This file also holds what the two share: the
// unpacked package folder, a server process owned as a process group, and users' APPEND connections.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdtempSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { projectRoot } from '../../server/env';
import { liveGroupMembers, signalQuietly, waitForGroupExit } from './process-group';

export type MailServerKind = 'dovecot' | 'cyrus' | 'courier';

export type MailUser = { user: string; password: string; address: string };

export type MailServerHarness = {
  readonly host: '127.0.0.1';
  /** Plain IMAP (no STARTTLS needed). */
  readonly imapPort: number;
  addUser(name?: string, password?: string): Promise<MailUser>;
  /** Delivers a message with IMAP APPEND, as a mail client would; resolves with its UID. */
  append(user: string, raw: Buffer | string, options?: { internalDate?: Date; flags?: string[] }): Promise<number>;
  /** A connected, logged-in ImapFlow client, closed by stop() if still open. */
  connect(user: string, options?: Partial<ImapFlowOptions>): Promise<ImapFlow>;
  /** Gives INBOX a new UIDVALIDITY the way this server's operators would; resolves with it. */
  bumpUidValidity(user: string): Promise<bigint>;
  /** Stops the server but keeps users and mail; startServer() brings it back on the same port. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
};

/** The Debian packages unpacked by scripts/install-mail-servers.sh. */
export const MAIL_SERVERS_DIR = process.env.LEOPARD_MAIL_SERVERS_DIR ?? path.join(projectRoot, '.cache/mail-servers');

export function unpackedServersMissing(): string | null {
  const root = path.join(MAIL_SERVERS_DIR, 'root');
  if (!existsSync(path.join(MAIL_SERVERS_DIR, 'installed')) || !existsSync(root)) {
    return `Cyrus IMAP and Courier IMAP are not unpacked in ${MAIL_SERVERS_DIR}: run scripts/install-mail-servers.sh (npm test does).`;
  }
  return null;
}

function reachableByAnyone(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/**
 * The unpacked packages, where the servers' unprivileged processes (they drop to the mail user) can run
 * them: in place when every folder above is open to others, else a copy (15 MB) in `instanceDir`,
 * e.g. for a clone under root's 0700 home.
 */
export function serverRoot(instanceDir: string): string {
  const missing = unpackedServersMissing();
  if (missing) throw new Error(missing);
  const root = path.join(MAIL_SERVERS_DIR, 'root');
  if (reachableByAnyone(root)) return root;
  const copy = path.join(instanceDir, 'pkg');
  cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

export function libraryPath(root: string): string {
  return ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu', 'usr/lib', 'usr/lib/courier-authlib'].map((p) => path.join(root, p)).join(':');
}

export function makeInstanceDir(kind: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `leopard-${kind}-`));
}

/** Waits until `port` greets with `* OK`: the server is up and a login process serves it. */
export function expectGreeting(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const attempt = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      let received = '';
      socket.setTimeout(Math.max(100, deadline - Date.now()), () => {
        socket.destroy();
        reject(new Error(`no IMAP greeting on port ${port} within ${timeoutMs} ms`));
      });
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (!received.includes('\r\n')) return;
        socket.destroy();
        if (received.startsWith('* OK')) resolve();
        else reject(new Error(`unexpected greeting on port ${port}: ${received.trim()}`));
      });
    }).catch(async (err: NodeJS.ErrnoException) => {
      // Not listening yet: the server binds its port a moment after it starts.
      if (err.code !== 'ECONNREFUSED' || Date.now() >= deadline) throw err;
      if (!alive()) throw new Error(`the server exited before it listened on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
      return attempt();
    });
  return attempt();
}

export type ServerProcess = {
  readonly pid: number;
  readonly running: boolean;
  logTail(lines?: number): string;
  stop(): Promise<void>;
};

/**
 * Starts `command` as the leader of a process group of its own (every process it forks can be found and
 * stopped), under `setpriv --pdeathsig` so it dies with the test process. `members` lists the processes to
 * stop beyond the group (Courier's gam_server leaves it).
 */
export function startServerProcess(options: {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logPath: string;
  extraMembers?: () => number[];
}): ServerProcess {
  const child: ChildProcess = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', options.command, ...options.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: options.env,
  });
  const log = createWriteStream(options.logPath, { flags: 'a' });
  const tail: string[] = [];
  const collect = (chunk: Buffer) => {
    log.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (tail.length > 400) tail.splice(0, tail.length - 400);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let running = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => (running = false));
  const pid = child.pid!;
  const killOnExit = () => {
    signalQuietly(-pid, 'SIGKILL');
    for (const member of options.extraMembers?.() ?? []) signalQuietly(member, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  return {
    pid,
    get running() {
      return running;
    },
    logTail: (lines = 40) => tail.slice(-lines).join('\n'),
    stop() {
      stopping ??= (async () => {
        const extra = options.extraMembers?.() ?? [];
        for (const member of liveGroupMembers(pid)) signalQuietly(member.pid, 'SIGTERM');
        for (const member of extra) signalQuietly(member, 'SIGTERM');
        try {
          await waitForGroupExit(pid, 5_000);
        } catch {
          signalQuietly(-pid, 'SIGKILL');
          await waitForGroupExit(pid, 2_000);
        }
        for (const member of options.extraMembers?.() ?? []) signalQuietly(member, 'SIGKILL');
        await exited;
        process.removeListener('exit', killOnExit);
        await new Promise<void>((resolve) => log.end(resolve));
      })();
      return stopping;
    },
  };
}

/** Users, their APPEND connections and the clients handed out, as both unpacked servers need them. */
export class ImapClients {
  private readonly appendClients = new Map<string, Promise<ImapFlow>>();
  private readonly open = new Set<ImapFlow>();
  readonly passwords = new Map<string, string>();

  constructor(private readonly port: () => number) {}

  clientOptions(user: string, overrides: Partial<ImapFlowOptions> = {}): ImapFlowOptions {
    const pass = this.passwords.get(user);
    if (pass === undefined) throw new Error(`unknown test user ${user}`);
    return { host: '127.0.0.1', port: this.port(), secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false, ...overrides };
  }

  async connect(user: string, overrides: Partial<ImapFlowOptions> = {}): Promise<ImapFlow> {
    const client = new ImapFlow(this.clientOptions(user, overrides));
    client.on('error', () => {});
    this.open.add(client);
    client.once('close', () => this.open.delete(client));
    try {
      await client.connect();
    } catch (err) {
      this.open.delete(client);
      client.close();
      throw err;
    }
    return client;
  }

  async append(user: string, raw: Buffer | string, options: { internalDate?: Date; flags?: string[] } = {}): Promise<number> {
    let pending = this.appendClients.get(user);
    if (!pending) {
      pending = this.connect(user, { disableAutoIdle: true });
      this.appendClients.set(user, pending);
      const mine = pending;
      // A closed client (server restart, mailbox recreated) is replaced on next use.
      mine.then(
        (client) => client.once('close', () => this.appendClients.get(user) === mine && this.appendClients.delete(user)),
        () => this.appendClients.delete(user),
      );
    }
    const client = await pending;
    const result = await client.append('INBOX', raw, options.flags, options.internalDate);
    if (!result || result.uid === undefined) throw new Error(`APPEND to ${user}/INBOX returned no UID`);
    return result.uid;
  }

  /** Closes the harness's own APPEND connections (clients handed out stay open to see the server go). */
  async closeAppendClients(): Promise<void> {
    const pending = [...this.appendClients.values()];
    this.appendClients.clear();
    await Promise.all(pending.map((p) => p.then(closeClient, () => undefined)));
  }

  async closeAll(): Promise<void> {
    await this.closeAppendClients();
    await Promise.all([...this.open].map(closeClient));
  }
}

export async function closeClient(client: ImapFlow): Promise<void> {
  if (client.usable) {
    try {
      await client.logout();
      return;
    } catch {
      // fall through
    }
  }
  client.close();
}
