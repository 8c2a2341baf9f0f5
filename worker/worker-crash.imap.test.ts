// The real worker killed with SIGKILL at arbitrary moments while it imports a full mailbox and takes
// live mail, restarted each time (DESIGN "The contract on mail": a worker killed at any instant resumes
// where it was; "Auto reply": none lost, none sent twice; never for the initial import).
//
// The kill moments come from a seeded random, so a failure can be replayed: each round waits until the
// number of stored messages passes a random target ahead of where it is, then waits a random few hundred
// milliseconds more (so the kill lands inside the next batch, a live message's transaction or an outbox
// send, not only right after a commit), then kills. LEOPARD_TEST_SEED picks another sequence.
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseMessages, outbox } from '../server/db/schema';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { rawMail, uniqueMessageId } from '../test/harness/raw-mail';
import { seededRandom } from '../test/harness/seeded-random';
import { type FakeResendServer, startResendServer } from '../test/harness/resend-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

const IMPORTED = 300;
const KILLS = 4;
const LIVE_PER_ROUND = 5;
/** How far ahead of the current count of stored messages a round's kill target may lie. */
const MAX_STEP = 100;
/** After the target is reached, the kill waits up to this long more. */
const MAX_EXTRA_DELAY_MS = 300;
/**
 * A mail the sender had claimed when it was killed is retried once the killed worker's heartbeat is older
 * than LEASE_TTL_MS (server/services/outbox.ts recoverStaleClaims; Resend is idempotent by key, so it goes
 * back to the queue); an injected lost response once its backoff ends.
 */
const OUTBOX_SETTLE_TIMEOUT_MS = 90_000;
const SEED = Number(process.env.LEOPARD_TEST_SEED ?? 4_2025);
const secretKey = randomBytes(32);

let dovecot: DovecotHarness;
let resend: FakeResendServer;
let testDb: TestDatabase;
let mailboxes: MailboxHarness;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  [dovecot, resend, testDb] = await Promise.all([startDovecot(), startResendServer(), createTestDatabase()]);
  mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin: await seedAdmin(testDb.db), secretKey });
});

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await Promise.all([dovecot?.stop(), resend?.close()]);
  await testDb?.drop();
});

async function startTheWorker(): Promise<WorkerProcess> {
  const started = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem, resend });
  await started.ready();
  return started;
}

describe('a worker killed during an import', () => {
  it('ends, after SIGKILLs at random moments and restarts, with every message once and every due auto-reply sent once', async () => {
    const random = seededRandom(SEED);
    const account = await dovecot.addUser();
    const importIds: string[] = [];
    let lastUid = 0;
    for (let i = 0; i < IMPORTED; i++) {
      const messageId = uniqueMessageId('import');
      lastUid = await dovecot.append(account.user, rawMail({ messageId, subject: `Old question ${i}`, from: `Old Customer ${i} <old-${i}@import.example>` }));
      importIds.push(messageId);
    }
    // Set up while no worker runs: everything already in the mailbox is the import.
    const box = await mailboxes.connect({ account, autoReply: true, waitForFirstSync: false });
    // Two responses lost after Resend accepted the mail: the sender must retry with the same key.
    resend.failNextRequests(2, { status: 500, afterAccepting: true });

    worker = await startTheWorker();
    const synced = await eventually('the first sync to start', () => mailboxes.processorRow(box.processorId), (p) => p.importUntilUid !== null);
    expect(synced.importUntilUid).toBe(IMPORTED);

    const storedCount = async () =>
      (
        await testDb.db
          .select({ n: sql<number>`count(*)::int` })
          .from(caseMessages)
          .where(and(eq(caseMessages.processorId, box.processorId), eq(caseMessages.direction, 'inbound')))
      )[0].n;

    const liveIds: string[] = [];
    const kills: string[] = [];
    for (let round = 0; round < KILLS; round++) {
      // Live mail: appended after the first sync began, so it gets auto-replies.
      for (let i = 0; i < LIVE_PER_ROUND; i++) {
        const n = liveIds.length;
        const messageId = uniqueMessageId('live');
        lastUid = await dovecot.append(account.user, rawMail({ messageId, subject: `New question ${n}`, from: `New Customer ${n} <new-${n}@live.example>` }));
        liveIds.push(messageId);
      }
      const appended = IMPORTED + liveIds.length;
      const target = Math.min(appended, (await storedCount()) + 1 + Math.floor(random() * MAX_STEP));
      const extraDelayMs = Math.floor(random() * MAX_EXTRA_DELAY_MS);
      await eventually(`${target} stored messages before kill ${round + 1}`, storedCount, (n) => n >= target, 60_000);
      // Not waiting for anything: this picks the kill moment (see the top of the file).
      await new Promise((r) => setTimeout(r, extraDelayMs));
      await worker.kill('SIGKILL');
      const p = await mailboxes.processorRow(box.processorId);
      kills.push(`kill ${round + 1}: target ${target} + ${extraDelayMs} ms → stored ${await storedCount()}, import_done ${p.importDone}`);
      worker = await startTheWorker();
    }
    console.log(`seed ${SEED}\n${kills.join('\n')}`);

    // The last worker runs undisturbed to the end.
    const allIds = [...importIds, ...liveIds];
    await eventually(`${allIds.length} stored messages`, storedCount, (n) => n >= allIds.length, 60_000);
    const settled = await eventually(
      'the processor to be idle past the last message',
      () => mailboxes.processorRow(box.processorId),
      (p) => p.syncStatus === 'idle' && p.lastUid >= lastUid,
    );
    expect(settled).toMatchObject({ importUntilUid: IMPORTED, importDone: IMPORTED, importTotal: IMPORTED, lastError: null });

    // Every message exactly once.
    const inbound = await testDb.db
      .select({ caseId: caseMessages.caseId, messageId: caseMessages.messageId })
      .from(caseMessages)
      .where(and(eq(caseMessages.processorId, box.processorId), eq(caseMessages.direction, 'inbound')));
    expect(inbound.map((m) => m.messageId).sort()).toEqual(allIds.map((id) => id.slice(1, -1)).sort());
    const caseOf = new Map(inbound.map((m) => [`<${m.messageId}>`, m.caseId]));
    const liveCases = new Set(liveIds.map((id) => caseOf.get(id)!));
    expect(liveCases.size).toBe(liveIds.length);

    // One outbox row per live case, none for the import, all sent in the end.
    const rows = await eventually(
      'every auto-reply to be sent',
      () => testDb.db.select().from(outbox).where(eq(outbox.processorId, box.processorId)),
      // 'sending' rows of a killed worker are recovered (and sent) once its heartbeat is stale.
      (r) => r.length >= liveIds.length && r.every((m) => m.status !== 'pending' && m.status !== 'sending'),
      OUTBOX_SETTLE_TIMEOUT_MS,
    );
    expect(rows.map((r) => r.caseId).sort()).toEqual([...liveCases].sort());
    expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'sent'));

    // Resend got each live case's reply once: one accepted mail per key, one per live message, and
    // no successful request under a key that is not a live case's.
    const liveKeys = [...liveCases].map((caseId) => `auto-reply:${caseId}`).sort();
    expect(resend.mails.map((m) => m.idempotencyKey).sort()).toEqual(liveKeys);
    expect(resend.mails.map((m) => m.headers['In-Reply-To']).sort()).toEqual([...liveIds].sort());
    const acceptedKeys = new Set(resend.requests.filter((r) => r.status === 200).map((r) => r.idempotencyKey));
    expect([...acceptedKeys].sort()).toEqual(liveKeys);
    const importCases = new Set(importIds.map((id) => caseOf.get(id)));
    expect(resend.mails.filter((m) => importCases.has(m.idempotencyKey?.replace('auto-reply:', '')))).toEqual([]);
    const attempts = resend.requests.filter((r) => r.path === '/emails').length;
    console.log(`auto-replies: ${resend.mails.length} accepted, ${attempts} POSTs (${resend.requests.filter((r) => r.injected).length} with an injected lost response)`);
    expect(worker.errorOutput()).not.toMatch(/uncaught|unhandled/i);
  }, 300_000);
});
