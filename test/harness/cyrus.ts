// A private Cyrus IMAP 3.6 (Debian's cyrus-imapd, unpacked by scripts/install-mail-servers.sh) on a free
// loopback port: its own imapd.conf and cyrus.conf in a temp folder, users in a private sasldb, mailboxes
// created over IMAP by an admin user, no TLS. It runs as `nobody` (cyrus_user), the master in the
// foreground as a process group of its own. Cyrus logs only to syslog, which these machines lack; its
// stderr goes to cyrus.log in the folder.
//
// Its IDLE is stock: `imapidlepoll` is Debian's 60 s and no idled runs, so an IDLE client hears of new
// mail up to a minute late (the servers tier checks that the worker copes).
import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import { freePort } from './free-port';
import {
  closeClient,
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
const ADMIN = 'cyrusadmin';
const START_TIMEOUT_MS = 15_000;

export async function startCyrus(options: { domain?: string } = {}): Promise<MailServerHarness> {
  const dir = makeInstanceDir('cyrus');
  try {
    const root = serverRoot(dir);
    const port = await freePort();
    for (const sub of ['conf', 'run', 'spool']) mkdirSync(path.join(dir, sub));
    const conf = path.join(dir, 'imapd.conf');
    writeFileSync(
      conf,
      [
        `configdirectory: ${dir}/conf`,
        `proc_path: ${dir}/run/proc`,
        `mboxname_lockpath: ${dir}/run/lock`,
        'defaultpartition: default',
        `partition-default: ${dir}/spool`,
        `cyrus_user: nobody`,
        `cyrus_group: nogroup`,
        // The SASL realm of the users in the sasldb (saslpasswd2 -u).
        'servername: localhost',
        `admins: ${ADMIN}`,
        'allowplaintext: yes',
        'sasl_pwcheck_method: auxprop',
        'sasl_auxprop_plugin: sasldb',
        `sasl_sasldb_path: ${dir}/sasldb2`,
        'sasl_mech_list: PLAIN LOGIN',
        // Cyrus 3's defaults, written out: mailboxes are user/<name>.
        'unixhierarchysep: yes',
        'altnamespace: yes',
        // Debian's default: IDLE clients are told of new mail on this period only.
        'imapidlepoll: 60',
        // A deleted mailbox goes at once (bumpUidValidity recreates it).
        'delete_mode: immediate',
        `idlesocket: ${dir}/run/idle`,
        `notifysocket: ${dir}/run/notify`,
        `lmtpsocket: ${dir}/run/lmtp`,
        'syslog_prefix: leopard-cyrus',
        '',
      ].join('\n'),
    );
    const bin = path.join(root, 'usr/lib/cyrus/bin');
    writeFileSync(
      path.join(dir, 'cyrus.conf'),
      `START {\n  recover cmd="${bin}/ctl_cyrusdb -C ${conf} -r"\n}\nSERVICES {\n  imap cmd="${bin}/imapd -C ${conf}" listen="127.0.0.1:${port}" prefork=0 maxchild=200\n}\nEVENTS {\n}\n`,
    );
    const harness = new TestCyrus(dir, root, conf, port, options.domain ?? 'leopard.test');
    try {
      await harness.setPassword(ADMIN, harness.adminPassword);
      chownTree(dir);
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

function chownTree(dir: string): void {
  // Cyrus's processes run as nobody and write everywhere under the instance folder.
  for (const sub of ['', 'conf', 'run', 'spool', 'sasldb2']) chownSync(path.join(dir, sub), NOBODY, NOBODY);
}

/**
 * Cyrus admins may change any ACL but hold no other right on a user's mailbox (deleting it needs "x").
 * imapflow has no SETACL method; its command runner (internal, untyped) sends one.
 */
async function grantAdmin(admin: ImapFlow, mailbox: string): Promise<void> {
  const run = (admin as unknown as { exec(command: string, attributes: unknown[]): Promise<{ next(): void }> }).exec.bind(admin);
  const response = await run('SETACL', [
    { type: 'STRING', value: mailbox },
    { type: 'STRING', value: ADMIN },
    { type: 'ATOM', value: 'lrswipkxtecda' },
  ]);
  response.next();
}

async function uidValidityOf(client: ImapFlow, mailbox: string): Promise<bigint> {
  const status = await client.status(mailbox, { uidValidity: true });
  if (!status || status.uidValidity === undefined) throw new Error(`STATUS ${mailbox} gave no UIDVALIDITY`);
  return status.uidValidity;
}

class TestCyrus implements MailServerHarness {
  readonly host = '127.0.0.1' as const;
  readonly adminPassword = randomBytes(12).toString('hex');
  private process: ServerProcess | undefined;
  private readonly clients: ImapClients;
  private counter = 0;
  private stopped: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly root: string,
    private readonly conf: string,
    readonly imapPort: number,
    private readonly domain: string,
  ) {
    this.clients = new ImapClients(() => this.imapPort);
    this.clients.passwords.set(ADMIN, this.adminPassword);
    // A test process that exits without stop() must not leave the folder behind (its servers die with it).
    process.once('exit', this.removeDir);
  }

  private readonly removeDir = () => rmSync(this.dir, { recursive: true, force: true });

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, LD_LIBRARY_PATH: libraryPath(this.root) };
  }

  async setPassword(user: string, password: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        path.join(this.root, 'usr/sbin/saslpasswd2'),
        ['-p', '-c', '-u', 'localhost', '-f', path.join(this.dir, 'sasldb2'), user],
        { env: this.env() },
        (err) => (err ? reject(err) : resolve()),
      );
      child.stdin!.end(password);
    });
    chownSync(path.join(this.dir, 'sasldb2'), NOBODY, NOBODY);
  }

  async addUser(name?: string, password?: string): Promise<MailUser> {
    const user = name ?? `user${++this.counter}-${randomBytes(3).toString('hex')}`;
    const pass = password ?? randomBytes(12).toString('hex');
    await this.setPassword(user, pass);
    this.clients.passwords.set(user, pass);
    await this.asAdmin(async (admin) => {
      await admin.mailboxCreate(`user/${user}`);
      await grantAdmin(admin, `user/${user}`);
    });
    return { user, password: pass, address: `${user}@${this.domain}` };
  }

  append(user: string, raw: Buffer | string, options?: { internalDate?: Date; flags?: string[] }): Promise<number> {
    return this.clients.append(user, raw, options);
  }

  connect(user: string, options?: Partial<ImapFlowOptions>): Promise<ImapFlow> {
    return this.clients.connect(user, options);
  }

  /**
   * As an operator restoring a mailbox from a backup would: every message (bytes, flags, INTERNALDATE) is
   * copied out, the admin deletes the mailbox and creates it again (Cyrus gives it a new UIDVALIDITY), and
   * the messages are appended back. Sessions that had it selected are told it is gone.
   */
  async bumpUidValidity(user: string): Promise<bigint> {
    const mailbox = `user/${user}`;
    const owner = await this.clients.connect(user, { disableAutoIdle: true });
    let before: bigint;
    let saved: Array<{ source: Buffer; flags: string[]; internalDate?: Date }>;
    try {
      before = await uidValidityOf(owner, 'INBOX');
      const lock = await owner.getMailboxLock('INBOX');
      try {
        const exists = owner.mailbox && typeof owner.mailbox === 'object' ? owner.mailbox.exists : 0;
        const all = exists > 0 ? await owner.fetchAll('1:*', { source: true, flags: true, internalDate: true }) : [];
        saved = all.map((m) => ({ source: m.source!, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent'), internalDate: m.internalDate as Date | undefined }));
      } finally {
        lock.release();
      }
    } finally {
      await closeClient(owner);
    }
    await this.clients.closeAppendClients();
    // Cyrus ends the sessions of a mailbox it deletes; the admin (granted every right) does the rest.
    return this.asAdmin(async (admin) => {
      // Cyrus derives UIDVALIDITY from the clock: within the same second it could come back unchanged.
      let after = before;
      while (after === before) {
        await admin.mailboxDelete(mailbox);
        await admin.mailboxCreate(mailbox);
        await grantAdmin(admin, mailbox);
        after = await uidValidityOf(admin, mailbox);
        if (after === before) await new Promise((r) => setTimeout(r, 1000));
      }
      for (const m of saved) await admin.append(mailbox, m.source, m.flags, m.internalDate);
      return after;
    });
  }

  private async asAdmin<T>(work: (admin: ImapFlow) => Promise<T>): Promise<T> {
    const admin = await this.clients.connect(ADMIN, { disableAutoIdle: true });
    try {
      return await work(admin);
    } finally {
      await closeClient(admin);
    }
  }

  async startServer(): Promise<void> {
    if (this.stopped) throw new Error('this Cyrus harness was stopped');
    if (this.process?.running) return;
    const proc = startServerProcess({
      command: path.join(this.root, 'usr/lib/cyrus/bin/master'),
      args: ['-D', '-C', this.conf, '-M', path.join(this.dir, 'cyrus.conf'), '-p', path.join(this.dir, 'run/master.pid')],
      env: this.env(),
      logPath: path.join(this.dir, 'cyrus.log'),
    });
    this.process = proc;
    try {
      await expectGreeting(this.imapPort, START_TIMEOUT_MS, () => proc.running);
    } catch (err) {
      await proc.stop();
      throw new Error(`Cyrus did not start: ${(err as Error).message}\n${proc.logTail()}`, { cause: err });
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
