// A private Courier IMAP 5 (Debian's courier-imap, unpacked by scripts/install-mail-servers.sh) on a free
// loopback port: couriertcpd → imaplogin → imapd, as Debian's init script starts it, with authdaemond and
// its userdb module for logins and one Maildir per user under a temp folder, no TLS.
//
// Courier's programs read fixed paths: authdaemond's socket /run/courier/authdaemon/socket, its modules in
// /usr/lib/courier-authlib, its settings and userdb in /etc/courier, gamin's server in /usr/libexec. The
// harness runs them in a mount namespace of their own (`unshare -m`, needs root) where those paths are
// overlays of the unpacked packages and bind mounts of the instance folder; outside it nothing changes,
// and the mounts vanish with its last process.
//
// Stock behaviour kept: its SELECT answer has no UIDNEXT (STATUS has it), and IDLE reports new mail only
// every IMAP_IDLE_TIMEOUT (60 s, Debian's default, without IMAP_ENHANCEDIDLE).
import { execFile } from 'node:child_process';
import { chownSync, chmodSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import { freePort } from './free-port';
import {
  expectGreeting,
  ImapClients,
  libraryPath,
  makeInstanceDir,
  type MailServerHarness,
  type MailUser,
  serverRoot,
  type ServerProcess,
  startServerProcess,
} from './mail-server';

const NOBODY = 65534;
const START_TIMEOUT_MS = 15_000;

/** Debian's /etc/courier/imapd values that matter here. */
const IMAPD_ENV = {
  IMAP_CAPABILITY: 'IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE',
  IMAP_KEYWORDS: '1',
  IMAP_ACL: '1',
  IMAP_IDLE_TIMEOUT: '60',
  IMAP_ENHANCEDIDLE: '0',
  IMAP_MAILBOX_SANITY_CHECK: '1',
  IMAP_UMASK: '022',
  IMAP_USELOCKS: '1',
  IMAP_TRASHFOLDERNAME: 'Trash',
};

export type CourierHarness = MailServerHarness & {
  /**
   * As a restore of the Maildir from an older backup would: with the server stopped, only the first `keep`
   * messages remain, and Courier's UID list goes back to the backup's (same UIDVALIDITY, next UID keep + 1),
   * so new mail gets UIDs that were given out before.
   */
  restoreOlderBackup(user: string, keep: number): Promise<void>;
};

export async function startCourier(options: { domain?: string } = {}): Promise<CourierHarness> {
  const dir = makeInstanceDir('courier');
  try {
    chmodSync(dir, 0o755);
    const root = serverRoot(dir);
    const port = await freePort();
    for (const sub of ['etc/courier', 'mountpoints/etc/courier', 'run/courier/authdaemon', 'mail']) mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o755 });
    writeFileSync(
      path.join(dir, 'etc/courier/authdaemonrc'),
      'authmodulelist="authuserdb"\ndaemons=2\nauthdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n',
    );
    const harness = new TestCourier(dir, root, port, options.domain ?? 'leopard.test');
    try {
      await harness.writeUserdb();
      writeFileSync(path.join(dir, 'start.sh'), harness.startScript(), { mode: 0o755 });
      await harness.startServer();
    } catch (err) {
      await harness.stop();
      throw err;
    }
    return harness;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function mountNamespace(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return null;
  }
}

/** Every process in that mount namespace: gam_server, which libfam starts per session, leaves the process group. */
function namespaceMembers(ns: string | null): number[] {
  if (!ns) return [];
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && mountNamespace(pid) === ns);
}

class TestCourier implements CourierHarness {
  readonly host = '127.0.0.1' as const;
  private process: ServerProcess | undefined;
  private namespace: string | null = null;
  private readonly clients: ImapClients;
  private counter = 0;
  private readonly users = new Map<string, { home: string; hash: string }>();
  private stopped: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly root: string,
    readonly imapPort: number,
    private readonly domain: string,
  ) {
    this.clients = new ImapClients(() => this.imapPort);
    // A test process that exits without stop() must not leave the folder behind (its servers die with it).
    process.once('exit', this.removeDir);
  }

  private readonly removeDir = () => rmSync(this.dir, { recursive: true, force: true });

  startScript(): string {
    const r = this.root;
    const env = Object.entries(IMAPD_ENV)
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    return [
      '#!/bin/sh',
      '# Runs inside `unshare -m`: these mounts are seen by this instance only.',
      'set -e',
      // /etc/courier must exist to be mounted on; the overlay adds the empty folder. The files come by a bind
      // mount: overlayfs does not show files replaced in a lower layer after mounting (the userdb is, per user).
      `mount -t overlay overlay -o lowerdir=${this.dir}/mountpoints/etc:/etc /etc`,
      `mount --bind ${this.dir}/etc/courier /etc/courier`,
      `mount -t overlay overlay -o lowerdir=${r}/usr/lib:/usr/lib /usr/lib`,
      `mount -t overlay overlay -o lowerdir=${r}/usr/libexec:/usr/libexec /usr/libexec`,
      `mount --bind ${this.dir}/run /run`,
      `export LD_LIBRARY_PATH='${libraryPath(r)}'`,
      '/usr/lib/courier/courier-authlib/authdaemond &',
      `export ${env}`,
      `exec ${r}/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=200 -maxperip=200 -nodnslookup -noidentlookup ${this.imapPort} ${r}/usr/lib/courier/courier/imaplogin ${r}/usr/bin/imapd Maildir`,
      '',
    ].join('\n');
  }

  /** userdb.dat and userdbshadow.dat, as makeuserdb writes them (authdaemond re-reads them when they change). */
  async writeUserdb(): Promise<void> {
    const etc = path.join(this.dir, 'etc/courier');
    const plain = [...this.users].map(([user, u]) => `${user}\tuid=${NOBODY}|gid=${NOBODY}|home=${u.home}|mail=${u.home}/Maildir\n`).join('');
    const shadow = [...this.users].map(([user, u]) => `${user}\tsystempw=${u.hash}\n`).join('');
    await this.makedat(`${plain}.\n`, path.join(etc, 'userdb.tmp'), path.join(etc, 'userdb.dat'));
    await this.makedat(`${shadow}.\n`, path.join(etc, 'userdbshadow.tmp'), path.join(etc, 'userdbshadow.dat'));
  }

  private makedat(input: string, tmp: string, dat: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        path.join(this.root, 'usr/lib/courier/courier-authlib/makedatprog'),
        ['-', tmp, dat],
        { env: { ...process.env, LD_LIBRARY_PATH: libraryPath(this.root) } },
        (err: Error | null) => (err ? reject(err) : resolve()),
      );
      child.stdin!.end(input);
    });
  }

  async addUser(name?: string, password?: string): Promise<MailUser> {
    const user = name ?? `user${++this.counter}-${randomBytes(3).toString('hex')}`;
    const pass = password ?? randomBytes(12).toString('hex');
    const home = path.join(this.dir, 'mail', user);
    for (const sub of ['', 'Maildir', 'Maildir/cur', 'Maildir/new', 'Maildir/tmp']) {
      mkdirSync(path.join(home, sub), { recursive: true, mode: 0o700 });
      chownSync(path.join(home, sub), NOBODY, NOBODY);
    }
    const hash = await new Promise<string>((resolve, reject) =>
      execFile('openssl', ['passwd', '-6', '-stdin'], (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))).stdin!.end(pass),
    );
    this.users.set(user, { home, hash });
    this.clients.passwords.set(user, pass);
    await this.writeUserdb();
    return { user, password: pass, address: `${user}@${this.domain}` };
  }

  append(user: string, raw: Buffer | string, options?: { internalDate?: Date; flags?: string[] }): Promise<number> {
    return this.clients.append(user, raw, options);
  }

  connect(user: string, options?: Partial<ImapFlowOptions>): Promise<ImapFlow> {
    return this.clients.connect(user, options);
  }

  /**
   * As a migration of the Maildir would: with the server stopped, Courier's UID list (courierimapuiddb) is
   * replaced by an empty one with UIDVALIDITY + 1, so Courier numbers every message again from 1.
   */
  async bumpUidValidity(user: string): Promise<bigint> {
    const u = this.users.get(user);
    if (!u) throw new Error(`unknown test user ${user}`);
    const file = path.join(u.home, 'Maildir/courierimapuiddb');
    const current = BigInt(readFileSync(file, 'latin1').split('\n')[0]!.split(' ')[1]!);
    const next = current + 1n;
    await this.stopServer();
    writeFileSync(file, `1 ${next} 1\n`);
    chownSync(file, NOBODY, NOBODY);
    await this.startServer();
    return next;
  }

  async restoreOlderBackup(user: string, keep: number): Promise<void> {
    const u = this.users.get(user);
    if (!u) throw new Error(`unknown test user ${user}`);
    const maildir = path.join(u.home, 'Maildir');
    const [header, ...entries] = readFileSync(path.join(maildir, 'courierimapuiddb'), 'latin1').trim().split('\n');
    const [version, uidValidity] = header!.split(' ');
    const kept = entries.slice(0, keep);
    const keptNames = new Set(kept.map((line) => line.split(' ')[1]));
    await this.stopServer();
    for (const sub of ['cur', 'new']) {
      for (const file of readdirSync(path.join(maildir, sub))) {
        if (!keptNames.has(file.split(':')[0])) rmSync(path.join(maildir, sub, file));
      }
    }
    writeFileSync(path.join(maildir, 'courierimapuiddb'), `${version} ${uidValidity} ${keep + 1}\n${kept.map((l) => `${l}\n`).join('')}`);
    chownSync(path.join(maildir, 'courierimapuiddb'), NOBODY, NOBODY);
    await this.startServer();
  }

  async startServer(): Promise<void> {
    if (this.stopped) throw new Error('this Courier harness was stopped');
    if (this.process?.running) return;
    const proc = startServerProcess({
      command: '/usr/bin/unshare',
      args: ['-m', '--propagation', 'private', path.join(this.dir, 'start.sh')],
      env: process.env,
      logPath: path.join(this.dir, 'courier.log'),
      extraMembers: () => namespaceMembers(this.namespace),
    });
    this.process = proc;
    try {
      await expectGreeting(this.imapPort, START_TIMEOUT_MS, () => proc.running);
      // By now the leader is couriertcpd, inside the new namespace.
      const ns = mountNamespace(proc.pid);
      // Never the test's own namespace: stopping "its members" would then mean every process here.
      if (ns === mountNamespace(process.pid)) throw new Error('Courier is not in a mount namespace of its own');
      this.namespace = ns;
    } catch (err) {
      await proc.stop();
      throw new Error(`Courier did not start: ${(err as Error).message}\n${proc.logTail()}`, { cause: err });
    }
  }

  async stopServer(): Promise<void> {
    await this.clients.closeAppendClients();
    await this.process?.stop();
  }

  logTail(lines = 40): string {
    return this.process?.logTail(lines) ?? '';
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.clients.closeAll();
      await this.process?.stop();
      process.removeListener('exit', this.removeDir);
      this.removeDir();
    })();
    return this.stopped;
  }
}
