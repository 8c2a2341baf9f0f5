// The list must stay fast at 100,000 cases: its default view and "mine" must read an index in
// order and stop after a page, never scan the table. With enough rows and fresh statistics, the
// planner's choice here is the one production gets.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { closeDb } from '../db/client';
import { resetEnvForTests } from '../env';
import { buildCaseListQuery, type ListCasesOptions, listCases } from './cases';
import { createUser } from './users';

const BULK_CASES = 20_000;

let testDb: TestDatabase;
let me: string;

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

async function planOf(options: Omit<ListCasesOptions, 'db'>): Promise<PlanNode[]> {
  const query = buildCaseListQuery({ db: testDb.db, ...options }).toSQL();
  const [row] = await testDb.sql.unsafe(`explain (format json) ${query.sql}`, query.params as never[]);
  const [explained] = row['QUERY PLAN'] as Array<{ Plan: PlanNode }>;
  return nodes(explained.Plan);
}

function scansOfCases(plan: PlanNode[]) {
  return plan.filter((n) => n['Relation Name'] === 'cases').map((n) => `${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`);
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  me = (await createUser({ db: testDb.db, actor: null, input: { email: 'me@example.test', name: 'Me', role: 'agent', password: 'correct-horse-1' } })).id;
  const other = (await createUser({ db: testDb.db, actor: null, input: { email: 'o@example.test', name: 'Other', role: 'agent', password: 'correct-horse-2' } })).id;
  // One case in ten is mine, one in fifty is spam; activity spread over the last weeks.
  await testDb.db.execute(sql`
    insert into cases (subject, status, assigned_to_id, is_spam, last_activity_at)
    select 'Bulk case ' || g,
           (array['new', 'open', 'pending', 'closed'])[1 + g % 4]::case_status,
           case when g % 10 = 0 then ${me}::uuid when g % 3 = 0 then null else ${other}::uuid end,
           g % 50 = 0,
           now() - make_interval(secs => g * 97)
    from generate_series(1, ${BULK_CASES}) g`);
  await testDb.db.execute(sql`analyze`);
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

describe('the case list query plan', () => {
  it('reads the default view from an index, without a sequential scan of cases', async () => {
    const scans = scansOfCases(await planOf({ viewerId: me, filters: {}, limit: 50 }));
    expect(scans).toEqual(['Index Scan cases_activity_idx']);
  });

  it('reads "mine" from the assignee index, without a sequential scan of cases', async () => {
    const scans = scansOfCases(await planOf({ viewerId: me, filters: { mine: true }, limit: 50 }));
    expect(scans).toEqual(['Index Scan cases_assignee_activity_idx']);
  });

  it('starts a later page inside the index instead of scanning from the top', async () => {
    const first = await listCases({ db: testDb.db, viewerId: me, filters: {}, limit: 50 });
    const plan = await planOf({ viewerId: me, filters: {}, cursor: first.nextCursor, limit: 50 });
    const scan = plan.find((n) => n['Relation Name'] === 'cases') as PlanNode & { 'Index Cond'?: string };
    expect(scan['Node Type']).toBe('Index Scan');
    expect(scan['Index Cond']).toMatch(/ROW\(last_activity_at, id\) < ROW/);
  });

  it('reads a status filter without a sequential scan of cases', async () => {
    const scans = scansOfCases(await planOf({ viewerId: me, filters: { status: 'new' }, limit: 50 }));
    expect(scans.some((s) => s.startsWith('Seq Scan'))).toBe(false);
  });
});
