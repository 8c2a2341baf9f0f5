// Case events reach listeners (the web servers) only when the ingest transaction commits, and never for
// work that was rolled back. A marker NOTIFY sent from another connection proves what had been delivered
// by a given moment: Postgres delivers notifications in commit order, so once the marker has arrived,
// anything committed before it has arrived too.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { cases } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import { type CaseEvent, decodeCaseEvent, EVENTS_CHANNEL } from '../realtime/events';
import { ingestBatch, ingestMessage } from './ingest';

/** Every payload received on EVENTS_CHANNEL, in order, with a way to wait for one. */
class EventLog {
  readonly payloads: string[] = [];
  private waiters: Array<() => void> = [];

  push(payload: string): void {
    this.payloads.push(payload);
    for (const wake of this.waiters.splice(0)) wake();
  }

  async waitFor(found: () => boolean): Promise<void> {
    while (!found()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  cases(type: CaseEvent['type']): CaseEvent[] {
    return this.payloads.map(decodeCaseEvent).filter((e): e is CaseEvent => e !== null && e.type === type);
  }

  indexOfCase(type: CaseEvent['type'], caseId: string): number {
    return this.payloads.findIndex((p) => {
      const e = decodeCaseEvent(p);
      return e !== null && e.type === type && e.case.caseId === caseId;
    });
  }

  indexOfMarker(name: string): number {
    return this.payloads.indexOf(JSON.stringify({ type: 'test.marker', name }));
  }

  async waitForCase(type: CaseEvent['type'], caseId: string): Promise<CaseEvent> {
    await this.waitFor(() => this.indexOfCase(type, caseId) !== -1);
    return decodeCaseEvent(this.payloads[this.indexOfCase(type, caseId)])!;
  }

  async sendMarkerAndWait(db: TestDatabase, name: string): Promise<void> {
    await db.sql.notify(EVENTS_CHANNEL, JSON.stringify({ type: 'test.marker', name }));
    await this.waitFor(() => this.indexOfMarker(name) !== -1);
  }
}

let testDb: TestDatabase;
let unlisten: () => Promise<void>;
const events = new EventLog();

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  await seedCatalog(testDb.db);
  const listener = await testDb.sql.listen(EVENTS_CHANNEL, (payload) => events.push(payload));
  unlisten = listener.unlisten;
});

afterAll(async () => {
  await unlisten?.();
  await testDb?.drop();
});

let nextUid = 1;
const message = (raw: Buffer) => ({ uid: nextUid++, raw, isImport: false });

describe('case events from ingest', () => {
  it('announces a new case with its summary, and an answer as an update naming the new message', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const first = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, ...message(rawMail({ subject: 'Announced' })) });
    if (first.kind !== 'created') throw new Error('setup failed');
    const createdEvent = await events.waitForCase('case.created', first.caseId);
    expect(createdEvent.case).toMatchObject({ caseNumber: formatCaseNumber(first.caseNumber), subject: 'Announced', status: 'new', isSpam: false });

    const reply = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, ...message(rawMail({ subject: `Re: [${formatCaseNumber(first.caseNumber)}] Announced` })) });
    if (reply.kind !== 'appended') throw new Error(`expected an append, got ${reply.kind}`);
    const updated = await events.waitForCase('case.updated', first.caseId);
    expect(updated).toMatchObject({ type: 'case.updated', messageId: reply.caseMessageId, case: { status: 'new' } });
  });

  it('delivers case.created only after the whole batch commits', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const locked = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, ...message(rawMail({ subject: 'Held by an agent' })) });
    if (locked.kind !== 'created') throw new Error('setup failed');

    const agent = await testDb.sql.reserve();
    try {
      await agent`begin`;
      await agent`select id from cases where id = ${locked.caseId} for update`;
      // The first message opens a case (and NOTIFYs); the second waits for the agent's row lock.
      const batch = ingestBatch({
        db: testDb.db,
        processorId,
        uidValidity: 1,
        messages: [message(rawMail({ subject: 'Waits for its batch' })), message(rawMail({ subject: `Re: [${formatCaseNumber(locked.caseNumber)}]` }))],
      });
      await waitForBackendWaitingOnLock();
      await events.sendMarkerAndWait(testDb, 'before-commit');
      expect(events.cases('case.created').map((e) => e.case.subject)).not.toContain('Waits for its batch');

      await agent`rollback`;
      const [opened] = await batch;
      if (opened.kind !== 'created') throw new Error(`expected a new case, got ${opened.kind}`);
      await events.waitForCase('case.created', opened.caseId);
      expect(events.indexOfCase('case.created', opened.caseId)).toBeGreaterThan(events.indexOfMarker('before-commit'));
    } finally {
      agent.release();
    }
  });

  it('never announces a case whose transaction was rolled back', async () => {
    const { processorId } = await createMailbox(testDb.db);
    const locked = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, ...message(rawMail({ subject: 'Deadlock partner' })) });
    if (locked.kind !== 'created') throw new Error('setup failed');

    const agent = await testDb.sql.reserve();
    let results: Awaited<ReturnType<typeof ingestBatch>>;
    try {
      await agent`begin`;
      await agent`select id from cases where id = ${locked.caseId} for update`;
      const batch = ingestBatch({
        db: testDb.db,
        processorId,
        uidValidity: 1,
        messages: [message(rawMail({ subject: 'Created twice, announced once' })), message(rawMail({ subject: `Re: [${formatCaseNumber(locked.caseNumber)}]` }))],
      });
      await waitForBackendWaitingOnLock();
      // A deadlock: the batch loses, its whole transaction (the new case and its NOTIFY) is rolled back,
      // and ingest then takes the two messages one transaction each.
      await agent`select id from email_processors where id = ${processorId} for update`;
      await agent`rollback`;
      results = await batch;
    } finally {
      agent.release();
    }
    expect(results.map((r) => r.kind)).toEqual(['created', 'appended']);
    await events.sendMarkerAndWait(testDb, 'after-deadlock');

    // The agent's lock request returned, so the batch's transaction ended without committing (it was
    // waiting on the agent): the case it had opened was rolled back, and only the retry's case is announced.
    const announced = events.cases('case.created').filter((e) => e.case.subject === 'Created twice, announced once');
    expect(announced.map((e) => e.case.caseId)).toEqual([results[0].kind === 'created' ? results[0].caseId : null]);
    const [stored] = await testDb.db.select({ id: cases.id }).from(cases).where(eq(cases.subject, 'Created twice, announced once'));
    expect(stored.id).toBe(announced[0].case.caseId);
  });
});

async function waitForBackendWaitingOnLock(): Promise<void> {
  for (;;) {
    const rows = await testDb.sql`
      select pid from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`;
    if (rows.length > 0) return;
  }
}
