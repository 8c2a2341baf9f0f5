// Every real-world mail of the corpora (test/harness/corpora.ts) delivered to a harness mailbox with IMAP
// APPEND and taken by the real worker process, once as an initial import (batched transactions) and once
// as live mail (one transaction per message, auto reply on). DESIGN "The contract on mail": each message
// ends as a case message or a quarantine entry with a reason; none is lost; one bad message never stops
// the mailbox, and none crashes the worker.
//
// Accounting, per appended UID: the worker stores the raw bytes of every message under its UID, and that
// raw row is referenced by exactly one case message or one quarantine entry. The one outcome without a raw
// row is the same mail again (server/services/same-mail.ts): such a UID must have a Message-ID, and the
// bytes the server hands out for it must be those an earlier UID of the same mailbox stored as a case
// message with that Message-ID. Anything else is a lost message; in particular, a different mail that only
// reuses a Message-ID (many corpus mails do: 21 of chatwoot's 41) must be a case message or quarantined.
// Counts are printed, not asserted: they describe today's parser and rules, the invariants the contract.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseMessages, outbox, quarantine, rawMessages } from '../server/db/schema';
import { tryParseInbound } from '../server/mail/parse-message';
import { rawSha256 } from '../server/services/same-mail';
import { CORPUS_FOLDERS, corporaDir, readManifest, splitMbox, withoutMboxEnvelope } from '../test/harness/corpora';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { type FakeResendServer, startResendServer } from '../test/harness/resend-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

/** Generous: about a thousand mails, some of several megabytes, on a small machine. */
const INGEST_TIMEOUT_MS = 300_000;
const secretKey = randomBytes(32);

let dovecot: DovecotHarness;
let resend: FakeResendServer;
let testDb: TestDatabase;
let mailboxes: MailboxHarness;
let worker: WorkerProcess;

type CorpusMail = { folder: string; name: string; raw: Buffer };

/** Every mail of every corpus folder; mbox files split, their "From " envelope lines dropped. */
function loadCorpus(): CorpusMail[] {
  const mails: CorpusMail[] = [];
  for (const folder of CORPUS_FOLDERS) {
    const dir = path.join(corporaDir, folder);
    if (!existsSync(dir)) {
      throw new Error(`No corpus folder ${dir}. Put the shared corpora beside the project (../shared/corpora) or set LEOPARD_CORPORA_DIR.`);
    }
    for (const entry of readManifest(folder)) {
      const bytes = readFileSync(path.join(dir, entry.file));
      const pieces = entry.contentType === '(mbox)' ? splitMbox(bytes).map(withoutMboxEnvelope) : [bytes];
      for (const [i, raw] of pieces.entries()) mails.push({ folder, name: pieces.length === 1 ? entry.file : `${entry.file}#${i + 1}`, raw });
    }
  }
  return mails;
}

type Delivery = { appended: Map<number, CorpusMail>; refusedEmpty: string[]; refused: Array<{ name: string; error: string }> };

/**
 * APPENDs every mail. Dovecot may refuse an empty message (IMAP has no zero-length literal for a mail):
 * those are counted as such; any other refusal is a failure of the test setup, reported by the caller.
 */
async function deliver(user: string, mails: CorpusMail[]): Promise<Delivery> {
  const delivery: Delivery = { appended: new Map(), refusedEmpty: [], refused: [] };
  for (const mail of mails) {
    try {
      delivery.appended.set(await dovecot.append(user, mail.raw), mail);
    } catch (err) {
      const name = `${mail.folder}/${mail.name}`;
      if (mail.raw.length === 0) delivery.refusedEmpty.push(name);
      else delivery.refused.push({ name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return delivery;
}

type Outcome = { kind: 'created' | 'appended' | 'duplicate' } | { kind: 'quarantined'; reason: string };

/** The bytes the server hands out for these UIDs, fetched as the worker fetches them. */
async function fetchSources(user: string, uids: number[]): Promise<Map<number, Buffer>> {
  const sources = new Map<number, Buffer>();
  if (uids.length === 0) return sources;
  const client = await dovecot.connect(user);
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    for (const m of await client.fetchAll(uids.join(','), { uid: true, source: true }, { uid: true })) {
      if (m.source) sources.set(m.uid, m.source);
    }
  } finally {
    await client.logout();
  }
  return sources;
}

/** What became of each appended UID; throws on a UID that is neither stored nor the same mail again. */
async function outcomesOf(
  user: string,
  processorId: string,
  uidValidity: number,
  appended: Map<number, CorpusMail>,
): Promise<Map<number, Outcome>> {
  const raws = await testDb.db
    .select({ id: rawMessages.id, uid: rawMessages.uid, sha256: rawMessages.sha256 })
    .from(rawMessages)
    .where(and(eq(rawMessages.processorId, processorId), eq(rawMessages.uidValidity, uidValidity)));
  const inbound = await testDb.db
    .select({ rawMessageId: caseMessages.rawMessageId, messageId: caseMessages.messageId, threadReason: caseMessages.threadReason })
    .from(caseMessages)
    .where(and(eq(caseMessages.processorId, processorId), eq(caseMessages.direction, 'inbound')));
  const held = await testDb.db
    .select({ rawMessageId: quarantine.rawMessageId, stage: quarantine.stage, error: quarantine.error })
    .from(quarantine)
    .where(eq(quarantine.processorId, processorId));

  const rawByUid = new Map(raws.map((r) => [r.uid!, r.id]));
  const rawById = new Map(raws.map((r) => [r.id, r]));
  const sources = await fetchSources(user, [...appended.keys()].filter((uid) => !rawByUid.has(uid)));
  expect([...rawByUid.keys()].filter((uid) => !appended.has(uid)), 'raw messages under UIDs nobody appended').toEqual([]);
  expect(raws.length, 'one raw row per UID').toBe(rawByUid.size);

  const outcomes = new Map<number, Outcome>();
  for (const [uid, mail] of appended) {
    const where = `UID ${uid} (${mail.folder}/${mail.name})`;
    const rawId = rawByUid.get(uid);
    if (rawId !== undefined) {
      const asCase = inbound.filter((m) => m.rawMessageId === rawId);
      const asQuarantine = held.filter((q) => q.rawMessageId === rawId);
      expect({ caseMessages: asCase.length, quarantineEntries: asQuarantine.length }, `${where}: one outcome`).toSatisfy(
        (n: { caseMessages: number; quarantineEntries: number }) => n.caseMessages + n.quarantineEntries === 1,
      );
      if (asCase.length === 1) {
        outcomes.set(uid, { kind: asCase[0].threadReason === 'new' ? 'created' : 'appended' });
      } else {
        const [entry] = asQuarantine;
        expect(entry.stage, `${where}: quarantine stage`).not.toBe('');
        expect(entry.error.trim(), `${where}: quarantine reason`).not.toBe('');
        outcomes.set(uid, { kind: 'quarantined', reason: `${entry.stage}: ${entry.error.replace(/\d+/g, 'N').slice(0, 140)}` });
      }
      continue;
    }
    // No raw row: only the same mail again may leave none. Read it the way the worker does.
    const source = sources.get(uid);
    expect(source, `${where} left no trace, and the server no longer has it`).toBeDefined();
    const parsed = await tryParseInbound(source!);
    const messageId = parsed.ok ? parsed.value.messageId : null;
    expect(messageId, `${where} left no trace, and has no Message-ID that would make it the same mail again`).not.toBeNull();
    const sha256 = rawSha256(source!);
    const first = inbound.find((m) => m.messageId === messageId && rawById.get(m.rawMessageId!)?.sha256 === sha256);
    expect(first, `${where} left no trace, and no case message has its Message-ID ${messageId} and its bytes`).toBeDefined();
    const firstUid = rawById.get(first!.rawMessageId!)!.uid!;
    expect(firstUid < uid, `${where}: the same mail was stored from an earlier UID (${firstUid})`).toBe(true);
    outcomes.set(uid, { kind: 'duplicate' });
  }
  return outcomes;
}

function report(mode: string, mails: CorpusMail[], delivery: Delivery, outcomes: Map<number, Outcome>, extra: string[]): string {
  const lines = [`corpus through IMAP, ${mode}: ${mails.length} mails, ${delivery.appended.size} appended, ${delivery.refusedEmpty.length} empty ones refused by Dovecot (${delivery.refusedEmpty.join(', ') || 'none'})`];
  for (const folder of CORPUS_FOLDERS) {
    const counts = { created: 0, appended: 0, duplicate: 0, quarantined: 0 };
    for (const [uid, outcome] of outcomes) if (delivery.appended.get(uid)!.folder === folder) counts[outcome.kind]++;
    lines.push(`  ${folder}: ${counts.created} new cases, ${counts.appended} appended to an existing case, ${counts.duplicate} duplicates (the same mail again), ${counts.quarantined} quarantined`);
  }
  const reasons = new Map<string, string[]>();
  for (const [uid, outcome] of outcomes) {
    if (outcome.kind !== 'quarantined') continue;
    const mail = delivery.appended.get(uid)!;
    reasons.set(outcome.reason, [...(reasons.get(outcome.reason) ?? []), `${mail.folder}/${mail.name}`]);
  }
  for (const [reason, names] of reasons) lines.push(`  quarantined ${names.length} × ${reason}  (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`);
  return [...lines, ...extra.map((l) => `  ${l}`)].join('\n');
}

/** Case messages kept although an earlier, different mail of the mailbox carries their Message-ID, per corpus folder. */
function reusedIdsKept(delivery: Delivery, outcomes: Map<number, Outcome>, messageIdByUid: Map<number, string | null>): string {
  const seen = new Set<string>();
  const kept: Record<string, number> = {};
  for (const uid of [...outcomes.keys()].sort((a, b) => a - b)) {
    const outcome = outcomes.get(uid)!;
    const messageId = messageIdByUid.get(uid) ?? null;
    if (messageId === null || (outcome.kind !== 'created' && outcome.kind !== 'appended')) continue;
    if (seen.has(messageId)) {
      const folder = delivery.appended.get(uid)!.folder;
      kept[folder] = (kept[folder] ?? 0) + 1;
    }
    seen.add(messageId);
  }
  return `case messages whose Message-ID a different, earlier mail already used: ${CORPUS_FOLDERS.map((f) => `${f} ${kept[f] ?? 0}`).join(', ')}`;
}

/** The Message-ID ingest read from each UID's stored case message. */
async function messageIdsByUid(processorId: string): Promise<Map<number, string | null>> {
  const rows = await testDb.db
    .select({ uid: rawMessages.uid, messageId: caseMessages.messageId })
    .from(caseMessages)
    .innerJoin(rawMessages, eq(rawMessages.id, caseMessages.rawMessageId))
    .where(and(eq(caseMessages.processorId, processorId), eq(caseMessages.direction, 'inbound')));
  return new Map(rows.map((r) => [r.uid!, r.messageId]));
}

async function expectWorkerAlive() {
  expect({ exitCode: worker.child.exitCode, signal: worker.child.signalCode }, 'the worker process exited').toEqual({ exitCode: null, signal: null });
  expect((await worker.health()).httpStatus).toBe(200);
  expect(worker.errorOutput()).not.toMatch(/uncaught|unhandled/i);
}

beforeAll(async () => {
  [dovecot, resend, testDb] = await Promise.all([startDovecot(), startResendServer(), createTestDatabase()]);
  mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin: await seedAdmin(testDb.db), secretKey });
  worker = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem, resend });
  await worker.ready();
});

afterAll(async () => {
  await worker?.kill();
  await Promise.all([dovecot?.stop(), resend?.close()]);
  await testDb?.drop();
});

describe('the corpora through IMAP and the real worker', () => {
  it('imports every mail already in the mailbox as a case message or a quarantine entry with a reason, none lost', async () => {
    const mails = loadCorpus();
    const account = await dovecot.addUser();
    const delivery = await deliver(account.user, mails);
    expect(delivery.refused, 'mails Dovecot refused').toEqual([]);
    const lastUid = Math.max(...delivery.appended.keys());

    const box = await mailboxes.connect({ account, autoReply: true, waitForFirstSync: false });
    const done = await eventually(
      'the import to finish',
      () => mailboxes.processorRow(box.processorId),
      (p) => p.syncStatus === 'idle' && p.lastUid >= lastUid,
      INGEST_TIMEOUT_MS,
    );
    expect(done).toMatchObject({ importUntilUid: lastUid, importDone: delivery.appended.size, importTotal: delivery.appended.size, lastError: null });

    const outcomes = await outcomesOf(account.user, box.processorId, done.uidValidity!, delivery.appended);
    expect(outcomes.size).toBe(delivery.appended.size);
    expect(await testDb.db.select().from(outbox).where(eq(outbox.processorId, box.processorId)), 'auto-replies to an import').toEqual([]);
    console.log(report('as an initial import', mails, delivery, outcomes, [reusedIdsKept(delivery, outcomes, await messageIdsByUid(box.processorId))]));
    await expectWorkerAlive();
  });

  it('takes every mail arriving live as a case message or a quarantine entry with a reason, none lost, and sends the auto-replies it queued', async () => {
    const mails = loadCorpus();
    const box = await mailboxes.connect({ autoReply: true });
    const delivery = await deliver(box.user, mails);
    expect(delivery.refused, 'mails Dovecot refused').toEqual([]);
    const lastUid = Math.max(...delivery.appended.keys());

    const done = await eventually(
      'every live mail to be taken',
      () => mailboxes.processorRow(box.processorId),
      (p) => p.syncStatus === 'idle' && p.lastUid >= lastUid,
      INGEST_TIMEOUT_MS,
    );
    expect(done).toMatchObject({ importDone: 0, lastError: null });

    const outcomes = await outcomesOf(box.user, box.processorId, done.uidValidity!, delivery.appended);
    expect(outcomes.size).toBe(delivery.appended.size);
    // Queued auto-replies all go out; a failure would say why on the outbox row.
    const replies = await eventually(
      'the queued auto-replies to be sent',
      () => testDb.db.select({ status: outbox.status, lastError: outbox.lastError }).from(outbox).where(eq(outbox.processorId, box.processorId)),
      (rows) => rows.every((r) => r.status !== 'pending'),
      60_000,
    );
    expect(replies.filter((r) => r.status !== 'sent')).toEqual([]);
    const created = [...outcomes.values()].filter((o) => o.kind === 'created').length;
    console.log(
      report('as live mail', mails, delivery, outcomes, [
        reusedIdsKept(delivery, outcomes, await messageIdsByUid(box.processorId)),
        `auto-replies sent: ${replies.length} for ${created} new cases (the rest were automatic mail or rate-limited)`,
      ]),
    );
    await expectWorkerAlive();
  });
});
