import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { insertCase } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { closeDb } from '../db/client';
import { casePresence } from '../db/schema';
import { resetEnvForTests } from '../env';
import { joinCasePresence, leaveCasePresence, listCasePresence, PRESENCE_CHANNEL, renewCasePresence, setCaseTyping } from './case-presence';
import { createUser } from './users';

let testDb: TestDatabase;
let alice: string;
let bob: string;
let notified: string[] = [];
let unlisten: () => Promise<void>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  alice = (await createUser({ db: testDb.db, actor: null, input: { email: 'alice@example.test', name: 'Alice', role: 'agent', password: 'correct-horse-1' } })).id;
  bob = (await createUser({ db: testDb.db, actor: null, input: { email: 'bob@example.test', name: 'Bob', role: 'agent', password: 'correct-horse-2' } })).id;
  unlisten = (await testDb.sql.listen(PRESENCE_CHANNEL, (caseId) => notified.push(caseId))).unlisten;
});

beforeEach(() => {
  notified = [];
});

afterAll(async () => {
  await unlisten();
  await closeDb();
  await testDb.drop();
});

async function until(what: () => boolean) {
  const deadline = Date.now() + 5_000;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('not notified in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('case presence', () => {
  it('lists each person on a case once, however many tabs, with what they are writing, and tells every web instance', async () => {
    const c = await insertCase(testDb.db);
    await joinCasePresence({ db: testDb.db, socketId: 'alice-tab-1', caseId: c.id, userId: alice });
    await joinCasePresence({ db: testDb.db, socketId: 'alice-tab-2', caseId: c.id, userId: alice });
    await joinCasePresence({ db: testDb.db, socketId: 'bob-tab', caseId: c.id, userId: bob });
    await setCaseTyping({ db: testDb.db, socketId: 'alice-tab-2', caseId: c.id, typing: 'reply' });
    await until(() => notified.filter((id) => id === c.id).length >= 4);

    const { viewers } = await listCasePresence({ db: testDb.db, caseId: c.id });
    expect(viewers.map((v) => [v.name, v.typing])).toEqual([
      ['Alice', 'reply'],
      ['Bob', null],
    ]);
    expect(viewers[0]!.typingMsLeft).toBeGreaterThan(5_000);

    await setCaseTyping({ db: testDb.db, socketId: 'alice-tab-2', caseId: c.id, typing: null });
    expect((await listCasePresence({ db: testDb.db, caseId: c.id })).viewers[0]!.typing).toBeNull();
  });

  it('a typing notice ends by itself when no keystroke renews it', async () => {
    const c = await insertCase(testDb.db);
    await joinCasePresence({ db: testDb.db, socketId: 'typing-tab', caseId: c.id, userId: bob });
    await setCaseTyping({ db: testDb.db, socketId: 'typing-tab', caseId: c.id, typing: 'note' });
    await testDb.db.update(casePresence).set({ typingUntil: sql`now() - interval '1 second'` }).where(eq(casePresence.socketId, 'typing-tab'));
    expect((await listCasePresence({ db: testDb.db, caseId: c.id })).viewers).toEqual([{ userId: bob, name: 'Bob', typing: null, typingMsLeft: 0 }]);
  });

  it('a tab that moves to another case leaves the first, and a closed tab leaves at once', async () => {
    const first = await insertCase(testDb.db);
    const second = await insertCase(testDb.db);
    await joinCasePresence({ db: testDb.db, socketId: 'moving-tab', caseId: first.id, userId: alice });
    await joinCasePresence({ db: testDb.db, socketId: 'moving-tab', caseId: second.id, userId: alice });
    await until(() => notified.filter((id) => id === first.id).length >= 2);
    expect((await listCasePresence({ db: testDb.db, caseId: first.id })).viewers).toEqual([]);
    expect((await listCasePresence({ db: testDb.db, caseId: second.id })).viewers.map((v) => v.name)).toEqual(['Alice']);

    await leaveCasePresence({ db: testDb.db, socketIds: ['moving-tab'] });
    expect((await listCasePresence({ db: testDb.db, caseId: second.id })).viewers).toEqual([]);
  });

  it('the rows of a web instance that stopped renewing them lapse; the living instance keeps its own and announces the change', async () => {
    const c = await insertCase(testDb.db);
    await joinCasePresence({ db: testDb.db, socketId: 'living-instance-tab', caseId: c.id, userId: alice });
    await joinCasePresence({ db: testDb.db, socketId: 'dead-instance-tab', caseId: c.id, userId: bob });
    // Both rows are past their time; only the living instance's heartbeat renews its socket.
    await testDb.db.update(casePresence).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(casePresence.caseId, c.id));
    notified = [];
    await renewCasePresence({ db: testDb.db, socketIds: ['living-instance-tab'] });
    await until(() => notified.includes(c.id));
    expect((await listCasePresence({ db: testDb.db, caseId: c.id })).viewers.map((v) => v.name)).toEqual(['Alice']);
  });

  it('a socket cannot be present on a case that does not exist', async () => {
    expect(await joinCasePresence({ db: testDb.db, socketId: 'x', caseId: '00000000-0000-4000-8000-000000000000', userId: alice })).toBe(false);
  });
});
