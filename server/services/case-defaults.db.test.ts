// The default case type and priority a new case gets when no filter names one: "Try a message" shows the
// same ones intake gives, also when the catalog has several marked default (the lowest position wins).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../../test/harness/ingest-fixtures';
import { rawMail, uniqueMessageId } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { casePriorities, cases, caseTypes } from '../db/schema';
import { tryFilters } from './filters';
import { ingestMessage } from './ingest';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
});

afterAll(() => testDb?.drop());

describe('default case settings', () => {
  it('Try a message shows the default case type and priority intake gives, when two are marked default the lowest position is both', async () => {
    // Inserted in the opposite order of their positions, so a query without the ordering finds the other one first.
    const [, inquiry] = await testDb.db
      .insert(caseTypes)
      .values([
        { name: 'Billing', position: 5, isDefault: true },
        { name: 'Inquiry', position: 1, isDefault: true },
      ])
      .returning({ id: caseTypes.id });
    const [, urgent] = await testDb.db
      .insert(casePriorities)
      .values([
        { name: 'Low', position: 7, isDefault: true },
        { name: 'Urgent', position: 2, isDefault: true },
      ])
      .returning({ id: casePriorities.id });
    const { processorId } = await createMailbox(testDb.db);
    const raw = rawMail({ from: 'Ann <ann@customer.example>', subject: 'Invoice question', messageId: uniqueMessageId('defaults') });

    const tried = await tryFilters({ db: testDb.db, processorId, raw: raw.toString('utf8') });
    const result = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: 1, raw, isImport: false });
    if (result.kind !== 'created') throw new Error(`expected a new case, got ${JSON.stringify(result)}`);
    const [stored] = await testDb.db.select().from(cases).where(eq(cases.id, result.caseId));

    expect(stored!.caseTypeId).toBe(inquiry!.id);
    expect(stored!.casePriorityId).toBe(urgent!.id);
    expect(tried.settings.caseTypeId).toBe(stored!.caseTypeId);
    expect(tried.settings.casePriorityId).toBe(stored!.casePriorityId);
  });
});
