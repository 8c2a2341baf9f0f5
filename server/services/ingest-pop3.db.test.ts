// POP3's exactly-once bookkeeping inside ingest's transaction (server/services/pop3-taken.ts): a UIDL is recorded
// with the message it names, a UIDL taken is not taken again, and a UIDL reused for another message is.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail, uniqueMessageId } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { caseMessages, pop3Taken } from '../db/schema';
import { ingestBatch } from './ingest';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  await seedCatalog(testDb.db);
});

afterAll(() => testDb?.drop());

function take(processorId: string, uid: number, raw: Buffer, uidl: string, size = raw.length) {
  return ingestBatch({ db: testDb.db, processorId, uidValidity: 1, messages: [{ uid, raw, isImport: false }], pop3: new Map([[uid, { uidl, size }]]) });
}

const inbound = (processorId: string) => testDb.db.select().from(caseMessages).where(and(eq(caseMessages.processorId, processorId), eq(caseMessages.direction, 'inbound')));
const taken = (processorId: string) => testDb.db.select().from(pop3Taken).where(eq(pop3Taken.processorId, processorId));

describe('ingest of POP3 mail', () => {
  it('records the UIDL with the message and skips the same UIDL under another number', async () => {
    const processor = await createMailbox(testDb.db, { autoReply: false });
    const raw = rawMail({ messageId: uniqueMessageId('pop3-db') });
    const [first] = await take(processor.processorId, 1, raw, 'UIDL-A');
    expect(first!.kind).toBe('created');
    expect(await taken(processor.processorId)).toMatchObject([{ uidl: 'UIDL-A', uid: 1, size: raw.length, deletedAt: null }]);
    // A session that lost its cursor numbers it again: the UIDL says it was taken.
    const [again] = await take(processor.processorId, 2, raw, 'UIDL-A');
    expect(again).toEqual({ kind: 'duplicate', why: 'uid' });
    expect(await inbound(processor.processorId)).toHaveLength(1);
  });

  it('takes a reused UIDL (another size) again: a new mail is stored, the same mail is not doubled', async () => {
    const processor = await createMailbox(testDb.db, { autoReply: false });
    const raw = rawMail({ messageId: uniqueMessageId('pop3-reuse') });
    await take(processor.processorId, 1, raw, 'UIDL-R');
    const other = rawMail({ messageId: uniqueMessageId('pop3-reuse-new'), subject: 'A new mail under an old UIDL' });
    const [reused] = await take(processor.processorId, 2, other, 'UIDL-R');
    expect(reused!.kind).toBe('created');
    expect(await taken(processor.processorId)).toMatchObject([{ uidl: 'UIDL-R', uid: 2, size: other.length }]);
    // The first mail seen again under a size the server misreported: the same-mail rule keeps it single.
    const [same] = await take(processor.processorId, 3, raw, 'UIDL-R', raw.length + 1);
    expect(same).toEqual({ kind: 'duplicate', why: 'same-mail' });
    expect(await inbound(processor.processorId)).toHaveLength(2);
  });
});
