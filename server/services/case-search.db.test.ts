// Search over whole cases (server/services/cases.ts with the leopard_search configuration and the
// triggers of drizzle/migrations/*_case_search_*.sql), on real Postgres.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAttachment, insertCase, insertMessage } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { closeDb } from '../db/client';
import { caseMessages } from '../db/schema';
import { resetEnvForTests } from '../env';
import { seedDefaults } from './bootstrap';
import { type CaseListCursor, type CaseListItem, listCases } from './cases';
import { createUser } from './users';

let testDb: TestDatabase;
let me: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  await seedDefaults({ db: testDb.db, adminEmail: 'seed@example.test', adminPassword: 'seed-password-1' });
  me = (await createUser({ db: testDb.db, actor: null, input: { email: 'me@example.test', name: 'Me', role: 'agent', password: 'correct-horse-1' } })).id;
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

async function search(term: string, extra: { status?: 'new' | 'open' | 'pending' | 'closed' } = {}): Promise<CaseListItem[]> {
  return (await listCases({ db: testDb.db, viewerId: me, filters: { search: term, ...extra }, limit: 50 })).items;
}
const subjects = async (term: string, extra = {}) => (await search(term, extra)).map((c) => c.subject);
const marked = (segments: Array<{ text: string; match: boolean }> | undefined) => (segments ?? []).filter((s) => s.match).map((s) => s.text);

async function caseWithMessage(subject: string, textBody: string, minutes: number, extra: Parameters<typeof insertMessage>[1] extends infer T ? Partial<T> : never = {}) {
  const created = await insertCase(testDb.db, { subject, lastActivityAt: minutesAgo(minutes), status: 'open' });
  const message = await insertMessage(testDb.db, { caseId: created.id, subject, textBody, ...extra });
  return { case: created, message };
}

describe('search', () => {
  beforeAll(async () => {
    await caseWithMessage('Application', 'Please find my résumé attached, thank you.', 1);
    await caseWithMessage('Printer', 'The toner cartridge leaks everywhere since Monday.', 2);
    await caseWithMessage('Tokyo office', '私は東京に住んでいます。会議は来週です。', 3);
    await caseWithMessage('Old résumé question', 'Where do I send it?', 10);
    await caseWithMessage('Payment', 'The payment was late because of the holiday.', 4);
    await caseWithMessage('Another payment', 'Late fees are not fair, payment was on time.', 5);
    const invoice = await caseWithMessage('Monthly statement', 'See the attachment.', 6, { fromAddress: 'billing@vendor.test', fromName: 'Vendor Billing' });
    await insertAttachment(testDb.db, { caseMessageId: invoice.message.id, filename: 'Quarterly-Report_2026.pdf', content: Buffer.from('x') });
  });

  it('finds a word that occurs only in a message body and marks it in the snippet', async () => {
    const [hit, ...rest] = await search('toner');
    expect(rest).toEqual([]);
    expect(hit.subject).toBe('Printer');
    expect(marked(hit.match?.snippet)).toEqual(['toner']);
    expect(hit.match?.snippet.map((s) => s.text).join('')).toContain('The toner cartridge leaks');
  });

  it('ignores accents both ways: "resume" finds "résumé" and "RÉSUMÉ" finds it too', async () => {
    expect(await subjects('resume')).toEqual(['Old résumé question', 'Application']);
    expect(await subjects('RÉSUMÉ')).toEqual(['Old résumé question', 'Application']);
    const [, body] = await search('resume');
    expect(marked(body.match?.snippet)).toEqual(['résumé']);
  });

  it('lists subject matches first, then matches elsewhere, each newest first', async () => {
    // "Old résumé question" is the older case, but its subject has the word.
    expect(await subjects('résumé')).toEqual(['Old résumé question', 'Application']);
    const [first] = await search('résumé');
    expect(marked(first.match?.subject)).toEqual(['résumé']);
  });

  it('finds a Chinese/Japanese word inside a sentence written without spaces, and only as written', async () => {
    const [hit] = await search('東京');
    expect(hit.subject).toBe('Tokyo office');
    expect(marked(hit.match?.snippet)).toEqual(['東京']);
    expect(await subjects('会議')).toEqual(['Tokyo office']);
    // Both characters occur, but not side by side in this order.
    expect(await subjects('京東')).toEqual([]);
  });

  it('requires every word, and a quoted phrase in its order', async () => {
    expect(await subjects('payment late')).toEqual(['Payment', 'Another payment']);
    expect(await subjects('"payment was late"')).toEqual(['Payment']);
    expect(await subjects('"late payment"')).toEqual([]);
  });

  it('finds attachment names whole and by their parts, and senders by name, address and domain', async () => {
    for (const term of ['quarterly', 'Quarterly-Report_2026.pdf', 'report', 'billing@vendor.test', 'vendor.test', 'Billing']) {
      expect(await subjects(term), term).toEqual(['Monthly statement']);
    }
  });

  it('applies the list filters to search results', async () => {
    expect(await subjects('toner', { status: 'closed' })).toEqual([]);
    expect(await subjects('toner', { status: 'open' })).toEqual(['Printer']);
  });

  it('follows a message moved to another case', async () => {
    const from = await caseWithMessage('Moving', 'A zeppelin appears in this message.', 20);
    const to = await insertCase(testDb.db, { subject: 'Destination', lastActivityAt: minutesAgo(21) });
    expect(await subjects('zeppelin')).toEqual(['Moving']);
    await testDb.db.update(caseMessages).set({ caseId: to.id }).where(eq(caseMessages.id, from.message.id));
    expect(await subjects('zeppelin')).toEqual(['Destination']);
  });

  it('finds mail stored before search existed once the case index is rebuilt', async () => {
    const old = await caseWithMessage('Legacy', 'A narwhal swims by.', 30);
    await testDb.db.execute(sql`update cases set search_vector = ''::tsvector where id = ${old.case.id}`);
    expect(await subjects('narwhal')).toEqual([]);
    await testDb.db.execute(sql`select leopard_refresh_case_search(array[${old.case.id}::uuid])`);
    expect(await subjects('narwhal')).toEqual(['Legacy']);
  });

  it('pages through subject matches and then the other matches, each case once', async () => {
    for (let i = 0; i < 3; i++) await caseWithMessage(`Walrus ${i}`, 'nothing here', 40 + i);
    for (let i = 0; i < 3; i++) await caseWithMessage(`Other ${i}`, 'a walrus in the text', 50 + i);
    for (const limit of [1, 2, 3, 4]) {
      const seen: string[] = [];
      let cursor: CaseListCursor | null = null;
      do {
        const page: Awaited<ReturnType<typeof listCases>> = await listCases({ db: testDb.db, viewerId: me, filters: { search: 'walrus' }, cursor, limit });
        seen.push(...page.items.map((c) => c.subject));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen, `limit ${limit}`).toEqual(['Walrus 0', 'Walrus 1', 'Walrus 2', 'Other 0', 'Other 1', 'Other 2']);
    }
  });
});
