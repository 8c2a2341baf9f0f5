import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCase, insertContact, insertMessage, insertProcessor } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { closeDb } from '../db/client';
import { casePriorities, caseTypes } from '../db/schema';
import { resetEnvForTests } from '../env';
import { seedDefaults } from './bootstrap';
import { type CaseListFilters, listCases } from './cases';
import { createUser } from './users';

let testDb: TestDatabase;
let me: string;
let colleague: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  await seedDefaults({ db: testDb.db, adminEmail: 'seed@example.test', adminPassword: 'seed-password-1' });
  me = (await createUser({ db: testDb.db, actor: null, input: { email: 'me@example.test', name: 'Me', role: 'agent', password: 'correct-horse-1' } })).id;
  colleague = (await createUser({ db: testDb.db, actor: null, input: { email: 'col@example.test', name: 'Colleague', role: 'agent', password: 'correct-horse-2' } })).id;
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

async function subjects(filters: CaseListFilters, limit = 50) {
  const page = await listCases({ db: testDb.db, viewerId: me, filters, limit });
  return page.items.map((c) => c.subject);
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe('the case list', () => {
  beforeAll(async () => {
    const db = testDb.db;
    const support = await insertProcessor(db, 'Support');
    const sales = await insertProcessor(db, 'Sales');
    const [question] = await db.select().from(caseTypes).where(sql`${caseTypes.name} = 'Sales'`);
    const [urgent] = await db.select().from(casePriorities).where(sql`${casePriorities.name} = 'Urgent'`);
    const jane = await insertContact(db, { email: 'jane@customer.test', firstName: 'Jane', lastName: 'Doe' });
    const printer = await insertCase(db, { subject: 'Printer on fire', status: 'new', assignedToId: me, processorId: support.id, contactId: jane.id, lastActivityAt: minutesAgo(1) });
    await insertMessage(db, { caseId: printer.id, subject: 'Printer on fire', fromAddress: 'jane@customer.test' });
    await insertCase(db, { subject: 'Refund 50% please', status: 'open', assignedToId: colleague, processorId: sales.id, caseTypeId: question.id, lastActivityAt: minutesAgo(2) });
    await insertCase(db, { subject: 'Cheap pills', status: 'new', isSpam: true, lastActivityAt: minutesAgo(3) });
    await insertCase(db, { subject: 'Invoice missing', status: 'pending', casePriorityId: urgent.id, processorId: support.id, lastActivityAt: minutesAgo(4) });
    const orphan = await insertCase(db, { subject: 'Old thread', status: 'closed', lastActivityAt: minutesAgo(5) });
    await insertMessage(db, { caseId: orphan.id, fromAddress: 'bob@vendor.test' });
    await db.execute(sql`update cases set number = 4242 where subject = 'Invoice missing'`);
  });

  it('shows the newest activity first and hides spam', async () => {
    expect(await subjects({})).toEqual(['Printer on fire', 'Refund 50% please', 'Invoice missing', 'Old thread']);
  });

  it('shows only spam when asked for spam', async () => {
    expect(await subjects({ spam: true })).toEqual(['Cheap pills']);
  });

  it('filters by status, assignee, "mine" and "unassigned"', async () => {
    expect(await subjects({ status: 'new' })).toEqual(['Printer on fire']);
    expect(await subjects({ assignee: colleague })).toEqual(['Refund 50% please']);
    expect(await subjects({ mine: true, assignee: colleague })).toEqual(['Printer on fire']);
    expect(await subjects({ assignee: 'unassigned' })).toEqual(['Invoice missing', 'Old thread']);
  });

  it('filters by processor, case type and priority', async () => {
    const page = await listCases({ db: testDb.db, viewerId: me, filters: {}, limit: 50 });
    const refund = page.items.find((c) => c.subject.startsWith('Refund'))!;
    expect(refund.processor).toBe('Sales');
    expect(refund.caseType).toBe('Sales');
    const options = await testDb.db.select().from(caseTypes).where(sql`${caseTypes.name} = 'Sales'`);
    expect(await subjects({ caseTypeId: options[0].id })).toEqual(['Refund 50% please']);
    const [urgent] = await testDb.db.select().from(casePriorities).where(sql`${casePriorities.name} = 'Urgent'`);
    expect(await subjects({ casePriorityId: urgent.id })).toEqual(['Invoice missing']);
    const invoice = page.items.find((c) => c.subject === 'Invoice missing')!;
    expect(invoice.priority).toBe('Urgent');
    const supportId = (await testDb.db.execute<{ id: string }>(sql`select id from email_processors where name = 'Support'`))[0].id;
    expect(await subjects({ processorId: supportId })).toEqual(['Printer on fire', 'Invoice missing']);
  });

  it('finds a case by its number, with or without LC and zeros', async () => {
    expect(await subjects({ search: 'LC0004242' })).toEqual(['Invoice missing']);
    expect(await subjects({ search: '4242' })).toEqual(['Invoice missing']);
  });

  it('finds cases by a subject word, by the address a message came from and by a part of that address', async () => {
    expect(await subjects({ search: 'printer' })).toEqual(['Printer on fire']);
    expect(await subjects({ search: 'JANE@customer' })).toEqual(['Printer on fire']);
    expect(await subjects({ search: 'bob@vendor.test' })).toEqual(['Old thread']);
  });

  it('searches words, so punctuation is neither a wildcard nor a word', async () => {
    expect(await subjects({ search: '50%' })).toEqual(['Refund 50% please']);
    expect(await subjects({ search: '%' })).toEqual([]);
    expect(await subjects({ search: 'print' })).toEqual([]);
  });

  it('names the contact, assignee and processor of each row', async () => {
    const [printer] = (await listCases({ db: testDb.db, viewerId: me, filters: { search: 'printer' }, limit: 5 })).items;
    expect(printer).toMatchObject({
      caseNumber: expect.stringMatching(/^LC\d{7}$/),
      contact: { email: 'jane@customer.test', name: 'Jane Doe' },
      assignee: { id: me, name: 'Me' },
      processor: 'Support',
      status: 'new',
    });
  });
});

describe('keyset pagination', () => {
  it('walks every case exactly once, even when activity times differ only in microseconds', async () => {
    const db = testDb.db;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await insertCase(db, { subject: `tie ${i}` })).id);
    // Same millisecond, different microseconds, and two exact ties broken by id.
    await db.execute(sql`update cases set last_activity_at = '2020-01-01T00:00:00.000500Z' where subject in ('tie 0', 'tie 1')`);
    await db.execute(sql`update cases set last_activity_at = '2020-01-01T00:00:00.000900Z' where subject = 'tie 2'`);
    await db.execute(sql`update cases set last_activity_at = '2020-01-01T00:00:00.000100Z' where subject in ('tie 3', 'tie 4', 'tie 5')`);
    await db.execute(sql`update cases set last_activity_at = '2020-01-01T00:00:00.001000Z' where subject = 'tie 6'`);

    const seen: string[] = [];
    let cursor = null;
    do {
      const page: Awaited<ReturnType<typeof listCases>> = await listCases({ db, viewerId: me, filters: { search: 'tie ' }, cursor, limit: 2 });
      seen.push(...page.items.map((c) => c.subject));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(seen.slice(0, 2)).toEqual(['tie 6', 'tie 2']);
    expect(seen.slice(4).sort()).toEqual(['tie 3', 'tie 4', 'tie 5']);
  });
});
