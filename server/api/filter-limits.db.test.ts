// Filters cannot stall the worker: what the admin API refuses at save, the cap on filters per processor,
// and "Try a message" going through the same bounded matcher as intake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../test/harness/api-client';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { SessionUser } from '../auth/session';
import { closeDb } from '../db/client';
import { processorFilters } from '../db/schema';
import { MAX_FILTERS_PER_PROCESSOR } from '../domain/filter-fields';
import { MESSAGE_REGEX_BUDGET_MS, TOO_SLOW_MESSAGE } from '../domain/filter-regex';
import { resetEnvForTests } from '../env';
import { seedDefaults } from '../services/bootstrap';
import { createUser } from '../services/users';

let testDb: TestDatabase;
let admin: SessionUser;
let processorId: string;

const filterInput = (overrides: Record<string, unknown>) => ({
  processorId,
  matchField: 'body',
  headerName: null,
  matchRule: 'regex',
  matchValue: 'x',
  priority: 10,
  stopFiltering: false,
  caseTypeId: null,
  casePriorityId: null,
  assignedToId: null,
  managedById: null,
  ...overrides,
});

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  await seedDefaults({ db: testDb.db, adminEmail: 'seed@example.com', adminPassword: 'seed-password-1' });
  const a = await createUser({ db: testDb.db, actor: null, input: { email: 'boss@example.com', name: 'Boss', role: 'admin', password: 'correct-horse-1' } });
  admin = { id: a.id, email: a.email, name: a.name, role: 'admin' };
  const created = await callApi(admin, 'processors.create', {
    emailAddress: 'support@example.com',
    name: 'Support',
    active: false,
    host: 'mail.example.com',
    type: 'imap',
    port: 993,
    useSsl: true,
    login: 'support',
    password: 'secret-1',
    autoReply: false,
    allowUntrustedCert: false,
  });
  processorId = (created.data as { id: string }).id;
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

describe('filter limits', () => {
  it('refuses back-references and look-around at save, on the value field, in plain words', async () => {
    for (const [pattern, words] of [
      ['(a)\\1', /References back to an earlier group/],
      ['invoice(?!s)', /Look-ahead and look-behind/],
    ] as const) {
      const response = await callApi(admin, 'filters.create', filterInput({ matchValue: pattern }));
      expect(response.status, pattern).toBe(400);
      expect((response.error?.data.fieldErrors as Record<string, string>).matchValue).toMatch(words);
    }
  });

  it('refuses a pattern too slow for a long message, and saves `^(a+)+$`, which RE2 runs in linear time', async () => {
    const slow = await callApi(admin, 'filters.create', filterInput({ matchValue: '\\w{1000}!' }));
    expect(slow.status).toBe(400);
    expect(slow.error?.data.fieldErrors).toEqual({ matchValue: TOO_SLOW_MESSAGE });
    const catastrophicOnV8 = await callApi(admin, 'filters.create', filterInput({ matchValue: '^(a+)+$' }));
    expect(catastrophicOnV8.status).toBe(200);
  });

  it('tries a message through the bounded matcher: a runaway stored pattern is cut off at the budget', async () => {
    // Saved before the checks above existed: straight into the table.
    const [runaway] = await testDb.db
      .insert(processorFilters)
      .values({ processorId, priority: 5, matchField: 'body', matchRule: 'regex', matchValue: '\\w{1000}!' })
      .returning({ id: processorFilters.id });
    const started = performance.now();
    const response = await callApi(admin, 'filters.try', {
      processorId,
      raw: `From: Jane <jane@example.com>\nSubject: Hello\n\n${'a'.repeat(60_000)}\n`,
    });
    const elapsedMs = performance.now() - started;
    expect(response.status).toBe(200);
    const result = response.data as { timedOutFilterIds: string[]; note: string };
    // The budget is the message's: the filters after the runaway one ran out of it too.
    expect(result.timedOutFilterIds[0]).toBe(runaway.id);
    expect(result.note).toContain(`time budget of ${MESSAGE_REGEX_BUDGET_MS} ms`);
    expect(elapsedMs).toBeLessThan(MESSAGE_REGEX_BUDGET_MS + 3000);
  });

  it(`refuses a filter past ${MAX_FILTERS_PER_PROCESSOR} per processor, saying why`, async () => {
    const existing = (await callApi(admin, 'filters.list', { processorId })).data as unknown[];
    const missing = MAX_FILTERS_PER_PROCESSOR - existing.length;
    await testDb.db.insert(processorFilters).values(
      Array.from({ length: missing }, (_, i) => ({ processorId, priority: 100 + i, matchField: 'subject' as const, matchRule: 'contains' as const, matchValue: `word ${i}` })),
    );
    const response = await callApi(admin, 'filters.create', filterInput({ matchRule: 'contains', matchValue: 'one more' }));
    expect(response.status).toBe(400);
    expect(response.error?.message).toContain(`already has ${MAX_FILTERS_PER_PROCESSOR} filters`);
  });
});
