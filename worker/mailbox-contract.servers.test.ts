// The worker's mailbox contract against three real IMAP servers: Dovecot, Cyrus IMAP 3.6 and Courier IMAP 5
// (Debian's packages; Cyrus and Courier unpacked by scripts/install-mail-servers.sh), each a private
// instance on loopback started by test/harness. One worker process, one database, one local Resend.
//
// Stock servers differ: Courier's SELECT has no UIDNEXT; stock Cyrus and Courier tell an IDLE client of new
// mail only about once a minute (Dovecot within ~0.5 s). So the processors here that must be quick use a
// check interval of 1 s, as an admin would for such a server, and the figures printed are what they got.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, outbox } from '../server/db/schema';
import { formatCaseNumber } from '../server/domain/case-number';
import { getProcessor } from '../server/services/processors';
import { bigRawMail, expectRangedFetchesAgree, sha256Hex, storedRawSha256 } from '../test/harness/big-mail';
import { type CourierHarness, startCourier } from '../test/harness/courier';
import { startCyrus } from '../test/harness/cyrus';
import { startDovecot } from '../test/harness/dovecot';
import type { MailServerHarness, MailServerKind } from '../test/harness/mail-server';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail, uniqueMessageId } from '../test/harness/raw-mail';
import { type FakeResendServer, startResendServer } from '../test/harness/resend-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';
import { RANGED_FETCH_BYTES } from './fetch-ranges';

const STARTERS: Record<MailServerKind, () => Promise<MailServerHarness>> = {
  dovecot: () => startDovecot(),
  cyrus: () => startCyrus(),
  courier: () => startCourier(),
};
const KINDS = Object.keys(STARTERS) as MailServerKind[];
// The worker's poll, the safety net under IDLE: short, so a test of a server that never pushes ends soon.
const POLL_INTERVAL_MS = 4_000;

const secretKey = randomBytes(32);
let testDb: TestDatabase;
let resend: FakeResendServer;
let worker: WorkerProcess;
const servers = new Map<MailServerKind, MailServerHarness>();
const figures: string[] = [];

beforeAll(async () => {
  const started = await Promise.all([createTestDatabase(), startResendServer(), ...KINDS.map((k) => STARTERS[k]())]);
  testDb = started[0] as TestDatabase;
  resend = started[1] as FakeResendServer;
  KINDS.forEach((k, i) => servers.set(k, started[2 + i] as MailServerHarness));
  const dovecot = servers.get('dovecot') as MailServerHarness & { certPem: string };
  worker = await startWorker({
    databaseUrl: testDb.url,
    secretKey: secretKey.toString('base64'),
    trustedCertPem: dovecot.certPem,
    resend,
    env: { POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) },
  });
  await worker.ready();
}, 120_000);

afterAll(async () => {
  await worker?.kill();
  await Promise.all([...servers.values()].map((s) => s.stop()));
  await resend?.close();
  await testDb?.drop();
  if (figures.length > 0) process.stdout.write(`\nservers tier figures:\n${figures.map((f) => `  ${f}`).join('\n')}\n`);
});

describe.each(KINDS)('the worker with %s', (kind) => {
  let server: MailServerHarness;
  let mailboxes: MailboxHarness;

  beforeAll(async () => {
    server = servers.get(kind)!;
    mailboxes = mailboxHarness({ dovecot: server, db: testDb.db, admin: await seedAdminOnce(), secretKey });
  });

  const connect = (options: Parameters<MailboxHarness['connect']>[0] = {}) =>
    mailboxes.connect({ allowCleartextLogin: true, checkIntervalSeconds: 1, ...options });

  it('imports the mail already there without auto-replies, then takes new mail live with one, marked read on the server', async () => {
    const account = await server.addUser();
    for (let i = 0; i < 3; i++) await server.append(account.user, rawMail({ subject: `Old ${i}`, from: `Old ${i} <old${i}@customer.example>` }));
    const box = await connect({ account, autoReply: true });
    await mailboxes.waitForInbound(box.processorId, 3);
    expect(await mailboxes.processorRow(box.processorId)).toMatchObject({ importDone: 3, importTotal: 3, importUntilUid: 3, lastUid: 3 });
    expect(await outboxOf(box.processorId)).toHaveLength(0);

    await waitUntilIdling(box.processorId);
    const appendedAt = Date.now();
    await server.append(account.user, rawMail({ subject: 'New today', from: 'Nina New <nina@customer.example>' }));
    await mailboxes.waitForInbound(box.processorId, 4);
    const tookMs = Date.now() - appendedAt;
    const replies = await eventually('the auto-reply', () => outboxOf(box.processorId), (rows) => rows.length === 1);
    expect(replies[0]).toMatchObject({ toAddress: 'nina@customer.example' });
    const row = await mailboxes.processorRow(box.processorId);
    expect(row.deliveryDelaysMs).toHaveLength(1);
    figures.push(`${kind}: live mail with a 1 s check interval stored ${tookMs} ms after APPEND (measured on the processor: ${row.deliveryDelaysMs[0]} ms, INTERNALDATE has whole seconds)`);
    expect(tookMs).toBeLessThan(5_000);

    const client = await server.connect(account.user);
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      const flags = await client.fetchAll('1:*', { flags: true });
      expect(flags.map((m) => m.flags?.has('\\Seen'))).toEqual([true, true, true, true]);
    } finally {
      await client.logout();
    }
  });

  it('leaves mail unread on the server, imported mail included, when "Mark as read on the server" is off', async () => {
    const account = await server.addUser();
    await server.append(account.user, rawMail({ subject: 'Imported, stays unread' }));
    const box = await connect({ account, autoReply: false, markSeen: false });
    await server.append(account.user, rawMail({ subject: 'Live, stays unread' }));
    await mailboxes.waitForInbound(box.processorId, 2);
    const client = await server.connect(account.user);
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      const flags = await client.fetchAll('1:*', { flags: true });
      expect(flags.map((m) => m.flags?.has('\\Seen'))).toEqual([false, false]);
    } finally {
      await client.logout();
    }
  });

  it('threads a reply by its [LC…] tag and another by its References into the first case', async () => {
    const box = await connect({ autoReply: false });
    const original = uniqueMessageId('orig');
    await server.append(box.user, rawMail({ subject: 'Broken invoice', messageId: original }));
    const [first] = await mailboxes.waitForInbound(box.processorId, 1);
    const [theCase] = await testDb.db.select().from(cases).where(eq(cases.id, first!.caseId));
    await server.append(box.user, rawMail({ subject: `Re: [${formatCaseNumber(theCase!.number)}] Broken invoice` }));
    await server.append(box.user, rawMail({ subject: 'more details', references: original }));
    const rows = await mailboxes.waitForInbound(box.processorId, 3);
    expect(rows.every((r) => r.caseId === theCase!.id)).toBe(true);
    expect(rows.map((r) => r.threadReason).sort()).toEqual(['new', 'reference', 'tag']);
  });

  it('resyncs after a UIDVALIDITY change without storing anything twice, and takes new mail after it live', async () => {
    const box = await connect({ autoReply: true });
    for (let i = 0; i < 3; i++) await server.append(box.user, rawMail({ subject: `Before the move ${i}`, from: `Mover ${i} <mover${i}@customer.example>` }));
    await mailboxes.waitForInbound(box.processorId, 3);
    const before = await mailboxes.processorRow(box.processorId);

    const uidValidity = Number(await server.bumpUidValidity(box.user));
    expect(uidValidity).not.toBe(before.uidValidity);
    await eventually('the resync', () => mailboxes.processorRow(box.processorId), (p) => p.uidValidity === uidValidity && p.syncStatus === 'idle' && p.lastUid >= 3);
    await server.append(box.user, rawMail({ subject: 'After the move', from: 'Late Larry <larry@customer.example>' }));
    const rows = await mailboxes.waitForInbound(box.processorId, 4);
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(4);
    const replies = await eventually('four auto-replies', () => outboxOf(box.processorId), (r) => r.length === 4);
    expect(replies.filter((r) => r.toAddress === 'larry@customer.example')).toHaveLength(1);
  });

  it('shows a restarting server as an outage being retried, then takes each message exactly once', async () => {
    const box = await connect({ autoReply: false });
    await server.append(box.user, rawMail({ subject: 'Before the restart' }));
    await mailboxes.waitForInbound(box.processorId, 1);

    await server.stopServer();
    const down = await eventually(
      'the outage on the processor',
      () => getProcessor({ db: testDb.db, id: box.processorId }),
      (p) => p.state.kind === 'outage',
    );
    expect(down.state).toMatchObject({ kind: 'outage', label: 'Mail server unavailable, retrying' });
    expect(down.state.kind === 'outage' && down.state.reason).toContain('Leopard keeps retrying by itself');
    expect(down.state.kind === 'outage' && down.state.reason).not.toContain('Check the host');

    await server.startServer();
    await server.append(box.user, rawMail({ subject: 'After the restart' }));
    const rows = await mailboxes.waitForInbound(box.processorId, 2, 40_000);
    await mailboxes.waitForIdle(box.processorId, 40_000);
    expect(rows.map((r) => r.subject).sort()).toEqual(['After the restart', 'Before the restart']);
    // Nothing more arrives: each message was taken once.
    expect(await mailboxes.messagesIn(box.processorId)).toHaveLength(2);
  });

  it('says whether the server pushes new mail promptly: mail the poll found unannounced is flagged on the processor', async () => {
    // No check interval: IDLE and the poll only. The message says it reached the mailbox 30 s ago, so the
    // only thing that decides the flag is whether the server announced it to the idling connection.
    const box = await connect({ autoReply: false, checkIntervalSeconds: null });
    await waitUntilIdling(box.processorId);
    const appendedAt = Date.now();
    await server.append(box.user, rawMail({ subject: 'Is anyone pushing?' }), { internalDate: new Date(Date.now() - 30_000) });
    await mailboxes.waitForInbound(box.processorId, 1);
    const foundMs = Date.now() - appendedAt;
    const view = await eventually('the delivery to be recorded', () => getProcessor({ db: testDb.db, id: box.processorId }), (p) => p.notices.some((n) => n.kind === 'delays'));
    const slow = view.notices.find((n) => n.kind === 'slow_push');
    figures.push(`${kind}: without a check interval, mail found ${foundMs} ms after APPEND (${slow ? 'not announced by IDLE: flagged as slow push' : 'announced by IDLE'})`);
    if (kind === 'dovecot') {
      expect(slow).toBeUndefined();
      expect(foundMs).toBeLessThan(POLL_INTERVAL_MS);
    } else {
      expect(slow?.text).toContain('does not push new mail promptly');
    }
  });

  it('answers a big message fetched in ranges with its exact bytes, and the worker stores it byte-identical', async () => {
    const account = await server.addUser();
    const big = bigRawMail({ subject: 'Big scan', attachmentBytes: 3 * 1024 * 1024 + 12_345 });
    expect(big.length).toBeGreaterThan(RANGED_FETCH_BYTES);
    const uid = await server.append(account.user, big);
    const client = await server.connect(account.user);
    let served: Buffer;
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      served = await expectRangedFetchesAgree(client, uid);
    } finally {
      await client.logout();
    }
    const box = await connect({ account, autoReply: false, waitForFirstSync: false });
    await mailboxes.waitForInbound(box.processorId, 1, 60_000);
    expect(await storedRawSha256(testDb.db, box.processorId)).toEqual([sha256Hex(served)]);
  }, 120_000);

  it('lists new UIDs the same two ways the worker may, whatever the server does with `*`', async () => {
    // The second listing the worker falls back to (UID FETCH n:* (UID)) must agree with UID SEARCH on a
    // consistent mailbox, also past the last UID, where Courier answers nothing and the others the last message.
    const account = await server.addUser();
    for (let i = 0; i < 3; i++) await server.append(account.user, rawMail({ subject: `Listed ${i}` }));
    const client = await server.connect(account.user);
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      for (const from of [1, 2, 3, 4, 9]) {
        const searched = ((await client.search({ uid: `${from}:*` }, { uid: true })) || []).filter((u) => u >= from);
        const fetched = (await client.fetchAll(`${from}:*`, { uid: true }, { uid: true })).map((m) => m.uid).filter((u) => u >= from);
        expect(fetched.sort()).toEqual(searched.sort());
      }
    } finally {
      await client.logout();
    }
  });
});

describe('a Courier mailbox restored from an older backup', () => {
  it('is never "up to date" over new mail numbered below UIDs already taken: the worker reads it again, takes the mail once, and shows the discrepancy', async () => {
    const courier = servers.get('courier') as CourierHarness;
    const mailboxes = mailboxHarness({ dovecot: courier, db: testDb.db, admin: await seedAdminOnce(), secretKey });
    const box = await mailboxes.connect({ allowCleartextLogin: true, checkIntervalSeconds: 1, autoReply: true });
    for (let i = 0; i < 3; i++) await courier.append(box.user, rawMail({ subject: `Before the restore ${i}`, from: `Early ${i} <early${i}@customer.example>` }));
    await mailboxes.waitForInbound(box.processorId, 3);
    await eventually('the cursor at UID 3', () => mailboxes.processorRow(box.processorId), (p) => p.lastUid === 3);

    await courier.restoreOlderBackup(box.user, 1);
    // UID 2 again: the server's UIDNEXT (3) is now at the cursor, and UID SEARCH 4:* lists nothing.
    expect(await courier.append(box.user, rawMail({ subject: 'After the restore', from: 'Rita Restored <rita@customer.example>' }))).toBe(2);
    const rows = await mailboxes.waitForInbound(box.processorId, 4);
    expect(rows.map((r) => r.subject).sort()).toEqual(['After the restore', 'Before the restore 0', 'Before the restore 1', 'Before the restore 2']);
    const view = await eventually('the discrepancy on the processor', () => getProcessor({ db: testDb.db, id: box.processorId }), (p) => p.notices.some((n) => n.kind === 'discrepancy'));
    expect(view.notices.find((n) => n.kind === 'discrepancy')?.text).toContain("The server's UIDNEXT is 3 while UIDs up to 3 were already taken");
    // The new mail is live; the restored one is recognised and neither stored nor answered again.
    const replies = await eventually('the auto-reply to the new mail', () => outboxOf(box.processorId), (r) => r.some((m) => m.toAddress === 'rita@customer.example'));
    expect(replies).toHaveLength(4);
    expect(await mailboxes.messagesIn(box.processorId)).toHaveLength(4);
  });
});

function outboxOf(processorId: string) {
  return testDb.db.select().from(outbox).where(eq(outbox.processorId, processorId));
}

/** Until the worker's connection for this processor waits in IDLE (its /metrics says so): mail then arrives during IDLE. */
function waitUntilIdling(processorId: string) {
  return eventually(
    'the connection to be in IDLE',
    async () => (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text(),
    (text) => text.includes(`leopard_processor_idling{processor="${processorId}"} 1`),
  );
}

let seeded: ReturnType<typeof seedAdmin> | undefined;
function seedAdminOnce() {
  seeded ??= seedAdmin(testDb.db);
  return seeded;
}
