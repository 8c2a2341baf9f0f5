// Proves the Dovecot harness is a real IMAP server that behaves as the product will see it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotHarness } from './dovecot';

function rawMessage(subject: string, body: string): string {
  return [
    'From: Customer <customer@example.test>',
    'To: Support <support@leopard.test>',
    `Subject: ${subject}`,
    `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`,
    'Date: Tue, 04 Mar 2025 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

async function sourcesOf(client: ImapFlow): Promise<string[]> {
  const sources: string[] = [];
  for await (const message of client.fetch('1:*', { source: true })) sources.push(message.source!.toString('utf8'));
  return sources;
}

/** Processes whose command line names this instance or its folder, found without the harness's own bookkeeping. */
function processesMentioning(needles: string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (needles.some((needle) => cmdline.includes(needle))) found.push(`${pid} ${cmdline}`);
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}

describe('Dovecot test harness', () => {
  let dovecot: DovecotHarness;

  beforeAll(async () => {
    dovecot = await startDovecot();
  });

  afterAll(async () => {
    await dovecot?.stop();
  });

  it('logs in over the plain port without upgrading to TLS', async () => {
    const { user } = await dovecot.addUser();
    const client = await dovecot.connect(user);
    expect(client.authenticated).toBe(true);
    expect(client.secureConnection).toBe(false);
    await client.logout();
  });

  it('logs in over the TLS port only when the self-signed certificate is trusted', async () => {
    const { user } = await dovecot.addUser();

    const trusted = await dovecot.connect(user, { tls: true });
    expect(trusted.secureConnection).toBe(true);
    expect(trusted.authenticated).toBe(true);
    await trusted.logout();

    const insecure = new ImapFlow({ ...dovecot.clientOptions(user, { tls: true }), tls: { rejectUnauthorized: false } });
    insecure.on('error', () => {});
    await insecure.connect();
    expect(insecure.secureConnection).toBe(true);
    await insecure.logout();

    const strict = new ImapFlow({ ...dovecot.clientOptions(user, { tls: true }), tls: {} });
    strict.on('error', () => {});
    await expect(strict.connect()).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: expect.stringMatching(/self[- ]signed/) });
  });

  it('serves appended messages byte for byte, with their flags', async () => {
    const { user } = await dovecot.addUser();
    const sent = [rawMessage('First question', 'Hello?'), rawMessage('Second question', 'Anyone there?'), rawMessage('Third', 'Ünïcödé body')];
    const uids: number[] = [];
    for (const raw of sent) uids.push(await dovecot.append(user, raw, { flags: raw === sent[1] ? ['\\Seen'] : [] }));
    expect(uids).toEqual([1, 2, 3]);

    const client = await dovecot.connect(user);
    const mailbox = await client.mailboxOpen('INBOX', { readOnly: true });
    expect(mailbox.exists).toBe(3);
    expect(await sourcesOf(client)).toEqual(sent);
    const flags = [];
    // \\Recent is Dovecot's own marker for "first session to see it", not a stored flag.
    for await (const message of client.fetch('1:*', { uid: true, flags: true })) flags.push([message.uid, [...message.flags!].filter((f) => f !== '\\Recent')]);
    expect(flags).toEqual([[1, []], [2, ['\\Seen']], [3, []]]);
    await client.logout();
  });

  it('delivers to another mailbox, creating it on first use', async () => {
    const { user } = await dovecot.addUser();
    const uid = await dovecot.append(user, rawMessage('Filed', 'elsewhere'), { mailbox: 'Archive' });
    const client = await dovecot.connect(user);
    expect(await client.status('Archive', { messages: true })).toMatchObject({ messages: 1 });
    expect(await client.status('INBOX', { messages: true })).toMatchObject({ messages: 0 });
    expect(uid).toBe(1);
    await client.logout();
  });

  it('announces a message appended while another client is in IDLE', async () => {
    const { user } = await dovecot.addUser();
    const watcher = await dovecot.connect(user, { emitLogs: true, autoIdleDelay: 60_000 });
    await watcher.mailboxOpen('INBOX');
    expect(watcher.mailbox && watcher.mailbox.exists).toBe(0);

    // ImapFlow has no event for "IDLE acknowledged by the server"; its log entry is the signal.
    const idling = new Promise<void>((resolve) => {
      watcher.on('log', (entry: { msg?: string }) => {
        if (entry.msg?.startsWith('Initiated IDLE')) resolve();
      });
    });
    const announced = new Promise<{ count: number; prevCount: number }>((resolve) => watcher.once('exists', resolve));
    const idle = watcher.idle();
    await idling;
    await dovecot.append(user, rawMessage('While idling', 'ping'));
    expect(await announced).toMatchObject({ count: 1, prevCount: 0 });
    await watcher.logout();
    await idle;
  });

  it('lets a new user log in at once and notices a password change of the same length', async () => {
    const { user, password } = await dovecot.addUser(undefined, 'first-password-1');
    const first = await dovecot.connect(user);
    await first.logout();

    await dovecot.changePassword(user, 'other-password-2');
    const stale = new ImapFlow({ ...dovecot.clientOptions(user), auth: { user, pass: password } });
    stale.on('error', () => {});
    await expect(stale.connect()).rejects.toMatchObject({ authenticationFailed: true });
    const renewed = await dovecot.connect(user);
    await renewed.logout();

    const options = dovecot.clientOptions(user);
    await dovecot.removeUser(user);
    const removed = new ImapFlow(options);
    removed.on('error', () => {});
    await expect(removed.connect()).rejects.toMatchObject({ authenticationFailed: true });
  });

  it('gives INBOX a new UIDVALIDITY that new sessions see, keeping the messages', async () => {
    const { user } = await dovecot.addUser();
    await dovecot.append(user, rawMessage('Before the change', 'x'));
    const before = await dovecot.connect(user);
    const { uidValidity: oldValidity } = await before.mailboxOpen('INBOX');
    const dropped = new Promise<void>((resolve) => before.once('close', () => resolve()));

    const newValidity = await dovecot.bumpUidValidity(user);
    expect(newValidity).toBe(oldValidity + 1n);
    // A session that has the mailbox selected learns of it on its next command: Dovecot answers
    // with BYE. (ImapFlow's noop() itself resolves; the close and byeReason tell.)
    await before.noop();
    await dropped;
    expect(before.byeReason).toMatch(/inconsistent/i);

    const after = await dovecot.connect(user);
    const mailbox = await after.mailboxOpen('INBOX');
    expect(mailbox.uidValidity).toBe(newValidity);
    expect(mailbox.exists).toBe(1);
    await after.logout();
    // The harness's own APPEND connection survives or is replaced: delivery keeps working.
    expect(await dovecot.append(user, rawMessage('After the change', 'y'))).toBeGreaterThan(0);
  });

  it('keeps users and mail across stopServer() and startServer() on the same ports', async () => {
    const { user } = await dovecot.addUser();
    await dovecot.append(user, rawMessage('Survives a restart', 'z'));
    const session = await dovecot.connect(user);
    await session.mailboxOpen('INBOX');
    const cut = new Promise<void>((resolve) => session.once('close', () => resolve()));

    await dovecot.stopServer();
    await cut;
    // The session was cut by the server going away, not logged out by the harness.
    expect(session.closedByClient).toBe(false);
    expect(dovecot.running).toBe(false);
    const refused = new ImapFlow(dovecot.clientOptions(user));
    refused.on('error', () => {});
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await dovecot.startServer();
    const client = await dovecot.connect(user);
    expect((await client.mailboxOpen('INBOX')).exists).toBe(1);
    await client.logout();
  });
});

describe('Dovecot harness lifecycle', () => {
  it('leaves no Dovecot process or temp folder behind, even with sessions open', async () => {
    const dovecot = await startDovecot();
    const { user } = await dovecot.addUser();
    await dovecot.append(user, rawMessage('Open sessions', 'x'));
    // Sessions opened outside the harness's bookkeeping, as the worker's would be.
    const outside = [new ImapFlow(dovecot.clientOptions(user)), new ImapFlow(dovecot.clientOptions(user, { tls: true }))];
    for (const client of outside) {
      client.on('error', () => {});
      await client.connect();
      await client.mailboxOpen('INBOX');
    }
    const names = dovecot.processes().map((p) => p.comm);
    expect(names).toEqual(expect.arrayContaining(['dovecot', 'imap-login', 'auth', 'imap']));
    expect(processesMentioning([dovecot.instanceName, dovecot.dir]).length).toBeGreaterThanOrEqual(names.length);

    const closed = outside.map((client) => new Promise<void>((resolve) => client.once('close', () => resolve())));
    await dovecot.stop();
    await Promise.all(closed);
    expect(dovecot.processes()).toEqual([]);
    expect(processesMentioning([dovecot.instanceName, dovecot.dir])).toEqual([]);
    expect(existsSync(dovecot.dir)).toBe(false);
  });

  it('rejects with the tail of the Dovecot log when Dovecot cannot start', async () => {
    await expect(startDovecot({ extraConfig: 'no_such_setting_for_the_test = 1' })).rejects.toThrow(/no_such_setting_for_the_test/);
  });
});
