// One bad message never blocks a mailbox: it is quarantined with its raw bytes, the cursor moves on, the
// rest of its batch commits, and an admin can retry it once the cause is fixed. Failures that are about
// the database rather than the message are thrown instead, leaving the cursor where it was.
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { auditLog, caseMessages, cases, emailProcessors, quarantine, rawMessages } from '../db/schema';
import { createPool } from '../db/client';
import { isTransientDatabaseError } from '../db/errors';
import { formatCaseNumber } from '../domain/case-number';
import { AppError } from '../errors';
import { type IngestResult, ingestBatch, ingestMessage, MAX_MESSAGES_PER_TRANSACTION } from './ingest';
import { listQuarantine, quarantineMessage, retryQuarantined } from './quarantine';

let testDb: TestDatabase;
let catalog: Catalog;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  catalog = await seedCatalog(testDb.db);
});

afterAll(() => testDb?.drop());

// Bytes no mail parser can find a header in: a real way for parseInbound to refuse a message.
const GARBAGE = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02, 0x0a, 0x7f]);

function ingest(processorId: string, uid: number, raw: Buffer) {
  return ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid, raw, isImport: false });
}

function quarantined(result: IngestResult) {
  if (result.kind !== 'quarantined') throw new Error(`expected quarantine, got ${JSON.stringify(result)}`);
  return result;
}

async function cursorOf(processorId: string) {
  const [row] = await testDb.db.select({ lastUid: emailProcessors.lastUid }).from(emailProcessors).where(eq(emailProcessors.id, processorId));
  return row.lastUid;
}

async function quarantineRowsOf(processorId: string) {
  return testDb.db.select().from(quarantine).where(eq(quarantine.processorId, processorId));
}

const admin = () => ({ id: catalog.users.manager, email: 'manager@acme.example' });

/**
 * Runs `run` while case_number_seq is at its end, so that opening a case fails in the middle of the
 * message's writes with a real Postgres error (SQLSTATE 2200H), and restores the sequence afterwards:
 * an operator's fix, after which a retry succeeds.
 */
async function withCaseNumbersExhausted<T>(run: () => Promise<T>): Promise<T> {
  const [{ n }] = await testDb.sql<{ n: string }[]>`select nextval('case_number_seq')::text as n`;
  await testDb.sql.unsafe(`alter sequence case_number_seq maxvalue ${n}`);
  try {
    return await run();
  } finally {
    await testDb.sql.unsafe('alter sequence case_number_seq no maxvalue');
  }
}

describe('a message that cannot be parsed', () => {
  it('is quarantined with its exact bytes, the cursor moves past it, and the next message is ingested', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const result = quarantined(await ingest(processorId, 1, GARBAGE));
    expect(result).toMatchObject({ stage: 'parse', error: expect.stringMatching(/no header/) });
    expect(await cursorOf(processorId)).toBe(1);

    const [row] = await quarantineRowsOf(processorId);
    expect(row).toMatchObject({ id: result.quarantineId, stage: 'parse', attempts: 1, resolvedAt: null });
    const [raw] = await testDb.db.select().from(rawMessages).where(eq(rawMessages.id, row.rawMessageId));
    expect(raw).toMatchObject({ uidValidity: 1, uid: 1, size: GARBAGE.length });
    expect(Buffer.compare(raw.content, GARBAGE)).toBe(0);

    expect(await ingest(processorId, 2, rawMail())).toMatchObject({ kind: 'created' });
    expect(await cursorOf(processorId)).toBe(2);
  });

  it('is quarantined once, however often the same UID is fetched again', async () => {
    const { processorId } = await createMailbox(testDb.db);
    quarantined(await ingest(processorId, 5, GARBAGE));
    expect(await ingest(processorId, 5, GARBAGE)).toEqual({ kind: 'duplicate', why: 'uid' });
    // Even if it parses on a later fetch (say, after an upgrade), the UID stays where it went first.
    expect(await ingest(processorId, 5, rawMail())).toEqual({ kind: 'duplicate', why: 'uid' });
    expect(await quarantineRowsOf(processorId)).toHaveLength(1);
    const [{ value }] = await testDb.db.select({ value: count() }).from(caseMessages).where(eq(caseMessages.processorId, processorId));
    expect(value).toBe(0);
  });
});

describe('the quarantine step on its own', () => {
  it('is idempotent on (processor, UIDVALIDITY, UID): a repeat writes nothing and names what the UID became', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const quarantineTwice = (uid: number) =>
      testDb.db.transaction(async (tx) => {
        const options = { processorId, uidValidity: 1, uid, raw: GARBAGE, now: new Date(), stage: 'parse' as const, error: 'test' };
        return [await quarantineMessage(tx, options), await quarantineMessage(tx, options)];
      });
    const [first, second] = await quarantineTwice(61);
    expect(second).toEqual(first);
    expect(await quarantineRowsOf(processorId)).toHaveLength(1);

    expect(await ingest(processorId, 62, rawMail())).toMatchObject({ kind: 'created' });
    const afterCase = await testDb.db.transaction((tx) =>
      quarantineMessage(tx, { processorId, uidValidity: 1, uid: 62, raw: GARBAGE, now: new Date(), stage: 'case', error: 'test' }),
    );
    expect(afterCase).toEqual({ kind: 'duplicate', why: 'uid' });
    expect(await quarantineRowsOf(processorId)).toHaveLength(1);
  });
});

describe('a batch', () => {
  it('commits every good message when one in the middle fails', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const results = await ingestBatch({
      db: testDb.db,
      processorId,
      uidValidity: 1,
      messages: [
        { uid: 11, raw: rawMail({ subject: 'first' }), isImport: true },
        { uid: 12, raw: GARBAGE, isImport: true },
        { uid: 13, raw: rawMail({ subject: 'third' }), isImport: true },
      ],
    });
    expect(results.map((r) => r.kind)).toEqual(['created', 'quarantined', 'created']);
    const subjects = await testDb.db.select({ subject: cases.subject }).from(cases).where(eq(cases.processorId, processorId));
    expect(subjects.map((s) => s.subject).sort()).toEqual(['first', 'third']);
    const [processor] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
    expect(processor).toMatchObject({ lastUid: 13, importDone: 3 });
  });

  it('ingests every message of a batch larger than one transaction may hold', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const messages = Array.from({ length: MAX_MESSAGES_PER_TRANSACTION + 5 }, (_, i) => ({ uid: 100 + i, raw: rawMail(), isImport: true }));
    const results = await ingestBatch({ db: testDb.db, processorId, uidValidity: 1, messages });
    expect(results.filter((r) => r.kind === 'created')).toHaveLength(messages.length);
    const [processor] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
    expect(processor).toMatchObject({ lastUid: 100 + messages.length - 1, importDone: messages.length });
  });

  it('rolls back only the failing message when it fails halfway through its writes', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const existing = await ingest(processorId, 20, rawMail({ subject: 'existing case' }));
    if (existing.kind !== 'created') throw new Error('setup failed');
    const tagged = rawMail({ subject: `[${formatCaseNumber(existing.caseNumber)}] reply to an existing case` });
    // Only a new case needs a number: the first message fails after its raw bytes were written, the reply does not.
    const results = await withCaseNumbersExhausted(() =>
      ingestBatch({
        db: testDb.db,
        processorId,
        uidValidity: 1,
        messages: [
          { uid: 21, raw: rawMail({ subject: 'needs a new number' }), isImport: false },
          { uid: 22, raw: tagged, isImport: false },
        ],
      }),
    );
    expect(results[0]).toMatchObject({ kind: 'quarantined', stage: 'case' });
    expect(results[1]).toMatchObject({ kind: 'appended', reason: 'tag', caseId: existing.caseId });
    const raws = await testDb.db.select({ uid: rawMessages.uid }).from(rawMessages).where(eq(rawMessages.processorId, processorId));
    expect(raws.map((r) => r.uid).sort()).toEqual([20, 21, 22]);
    const [{ value }] = await testDb.db.select({ value: count() }).from(cases).where(eq(cases.processorId, processorId));
    expect(value).toBe(1);
  });
});

describe('a message that fails while being stored', () => {
  it('is quarantined with the database error (not the query and its parameters) and can be retried after the fix', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const result = quarantined(
      await withCaseNumbersExhausted(() => ingest(processorId, 31, rawMail({ subject: 'Out of numbers', from: 'Ivy <ivy@customer.example>' }))),
    );
    expect(result.stage).toBe('case');
    expect(result.error).toMatch(/reached maximum value of sequence .*SQLSTATE 2200H/);
    expect(result.error).not.toMatch(/Failed query|ivy@customer\.example/);
    expect(await cursorOf(processorId)).toBe(31);

    const retried = await retryQuarantined({ db: testDb.db, quarantineId: result.quarantineId, actor: admin() });
    expect(retried).toMatchObject({ kind: 'created', autoReplyQueued: false, autoReplySkip: 'retry' });
    const [row] = await quarantineRowsOf(processorId);
    expect(row.resolvedAt).not.toBeNull();
    expect(row.attempts).toBe(2);
    expect(row.resolvedCaseMessageId).toBe(retried.kind === 'created' ? retried.caseMessageId : null);
    const [message] = await testDb.db.select().from(caseMessages).where(eq(caseMessages.id, row.resolvedCaseMessageId!));
    expect(message.rawMessageId).toBe(row.rawMessageId);
    const audits = await testDb.db.select().from(auditLog).where(eq(auditLog.entityId, result.quarantineId));
    expect(audits).toMatchObject([{ action: 'quarantine.retried', actorId: admin().id, details: { outcome: 'created' } }]);

    await expect(retryQuarantined({ db: testDb.db, quarantineId: result.quarantineId, actor: admin() })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('stays quarantined, with one more attempt counted, when a retry fails again', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const { quarantineId } = quarantined(await ingest(processorId, 1, GARBAGE));
    const retried = await retryQuarantined({ db: testDb.db, quarantineId, actor: admin() });
    expect(retried).toMatchObject({ kind: 'quarantined', quarantineId, stage: 'parse' });
    const [row] = await quarantineRowsOf(processorId);
    expect(row).toMatchObject({ attempts: 2, resolvedAt: null });
  });

  it('resolves a retry as a duplicate when the same mail was stored since under another UID', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail({ messageId: '<came-twice@customer.example>' });
    const { quarantineId } = quarantined(await withCaseNumbersExhausted(() => ingest(processorId, 41, raw)));
    const later = await ingest(processorId, 42, raw);
    expect(later.kind).toBe('created');
    expect(await retryQuarantined({ db: testDb.db, quarantineId, actor: admin() })).toEqual({ kind: 'duplicate', why: 'same-mail' });
    const [row] = await quarantineRowsOf(processorId);
    expect(row.resolvedCaseMessageId).toBe(later.kind === 'created' ? later.caseMessageId : null);
  });

  it('answers NOT_FOUND for a quarantine id that does not exist', async () => {
    const attempt = retryQuarantined({ db: testDb.db, quarantineId: '00000000-0000-4000-8000-000000000000', actor: admin() });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('a failure of the database rather than the message', () => {
  it('is retried, not quarantined, when the transaction loses a deadlock', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const first = await ingest(processorId, 1, rawMail({ subject: 'Locked by an agent' }));
    if (first.kind !== 'created') throw new Error('setup failed');

    // An agent's transaction holds the case row, so the reply's ingest (holding the processor row) waits
    // for it inside its savepoint; then the agent's transaction asks for the processor row: a deadlock.
    const agent = await testDb.sql.reserve();
    let result: IngestResult;
    try {
      await agent`begin`;
      await agent`select id from cases where id = ${first.caseId} for update`;
      const attempt = ingest(processorId, 2, rawMail({ subject: `Re: [${formatCaseNumber(first.caseNumber)}]` }));
      await waitForBackendWaitingOnLock();
      // Postgres aborts the ingest (it waited first, so its deadlock check runs first); its retry then
      // waits for this transaction, which ends right after.
      await agent`select id from email_processors where id = ${processorId} for update`;
      await agent`rollback`;
      result = await attempt;
    } finally {
      agent.release();
    }
    expect(result).toMatchObject({ kind: 'appended', caseId: first.caseId });
    expect(await quarantineRowsOf(processorId)).toEqual([]);
    expect(await cursorOf(processorId)).toBe(2);
  });

  it('is thrown, leaving everything as it was, when the database cannot be reached', async () => {
    const unreachable = createPool('postgres://postgres@127.0.0.1:1/leopard', { max: 1 });
    try {
      const err = await ingestMessage({ db: unreachable.db, processorId: crypto.randomUUID(), uidValidity: 1, uid: 1, raw: rawMail(), isImport: false }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isTransientDatabaseError(err)).toBe(true);
    } finally {
      await unreachable.sql.end({ timeout: 1 });
    }
  });
});

describe('the admin list', () => {
  it('shows open messages newest first with subject, sender, size and error, and no raw bytes', async () => {
    const { processorId, emailAddress } = await createMailbox(testDb.db);
    const headerOnlyGarbage = Buffer.concat([Buffer.from('\x00\x00\x00'), GARBAGE]);
    quarantined(await ingest(processorId, 1, GARBAGE));
    quarantined(
      await withCaseNumbersExhausted(() =>
        ingest(processorId, 2, rawMail({ subject: '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=', from: 'Kim <kim@customer.example>' })),
      ),
    );
    quarantined(await ingest(processorId, 3, headerOnlyGarbage));

    const page = await listQuarantine({ db: testDb.db, limit: 2 });
    const mine = page.items.filter((i) => i.processorId === processorId);
    expect(mine.map((i) => i.uid)).toEqual([3, 2]);
    expect(mine[1]).toMatchObject({ processorEmail: emailAddress, subject: 'Grüße', from: 'Kim <kim@customer.example>', stage: 'case', attempts: 1 });
    expect(mine[0]).toMatchObject({ subject: null, from: null, size: headerOnlyGarbage.length, stage: 'parse' });
    expect(Object.keys(mine[0]).sort()).toEqual(
      ['attempts', 'createdAt', 'error', 'from', 'id', 'processorEmail', 'processorId', 'resolvedAt', 'resolvedCaseId', 'resolvedCaseNumber', 'size', 'stage', 'subject', 'uid', 'uidValidity', 'updatedAt'],
    );
    expect(page.nextCursor).not.toBeNull();

    const rest = await listQuarantine({ db: testDb.db, limit: 50, cursor: page.nextCursor });
    expect(rest.items.filter((i) => i.processorId === processorId).map((i) => i.uid)).toEqual([1]);
  });

  it('hides resolved messages unless asked, and then names the case they went to', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const { quarantineId } = quarantined(await withCaseNumbersExhausted(() => ingest(processorId, 1, rawMail())));
    const retried = await retryQuarantined({ db: testDb.db, quarantineId, actor: admin() });
    if (retried.kind !== 'created') throw new Error('retry failed');

    const open = await listQuarantine({ db: testDb.db, limit: 100 });
    expect(open.items.map((i) => i.id)).not.toContain(quarantineId);
    const all = await listQuarantine({ db: testDb.db, limit: 100, includeResolved: true });
    expect(all.items.find((i) => i.id === quarantineId)).toMatchObject({ resolvedCaseId: retried.caseId, resolvedCaseNumber: retried.caseNumber });
  });
});

/** The pid of the backend of this database that waits for a lock, as soon as there is one. */
async function waitForBackendWaitingOnLock(): Promise<number> {
  for (;;) {
    const rows = await testDb.sql<{ pid: number }[]>`
      select pid from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`;
    if (rows.length > 0) return rows[0].pid;
  }
}
