// Sender authenticity through the real intake (ingestMessage → plan → write, on Postgres): a message
// that fails DMARC at the processor's own server is not matched to a known contact by its address,
// gets no auto-reply and is flagged on the case list; each of these can be turned off.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { caseMessages, cases, contacts, emailProcessors, outbox } from '../db/schema';
import { resetEnvForTests } from '../env';
import { listCases } from './cases';
import { type IngestResult, ingestMessage } from './ingest';
import { createUser } from './users';

let testDb: TestDatabase;
let viewer: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  await seedCatalog(testDb.db);
  viewer = (await createUser({ db: testDb.db, actor: null, input: { email: 'agent@example.test', name: 'Agent', role: 'agent', password: 'correct-horse-1' } })).id;
});

afterAll(() => testDb?.drop());

const SERVER = 'mx.leopard.example';
let nextUid = 1;

async function mailbox(settings: Partial<typeof emailProcessors.$inferInsert> = {}) {
  const { processorId } = await createMailbox(testDb.db, { autoReply: true });
  await testDb.db.update(emailProcessors).set({ authservId: SERVER, ...settings }).where(eq(emailProcessors.id, processorId));
  return processorId;
}

async function knownContact(email: string) {
  const [row] = await testDb.db.insert(contacts).values({ email, firstName: 'Real', lastName: 'Customer' }).returning();
  return row;
}

async function receive(processorId: string, from: string, authenticationResults: string[]) {
  const raw = rawMail({ from, subject: 'Please change my bank details', headers: authenticationResults.map((v) => ['Authentication-Results', v] as [string, string]) });
  const result: IngestResult = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: nextUid++, raw, isImport: false });
  if (result.kind !== 'created') throw new Error(`expected a new case, got ${JSON.stringify(result)}`);
  const [row] = await testDb.db.select().from(cases).where(eq(cases.id, result.caseId));
  const [message] = await testDb.db.select().from(caseMessages).where(eq(caseMessages.caseId, result.caseId));
  const [contact] = row.contactId ? await testDb.db.select().from(contacts).where(eq(contacts.id, row.contactId)) : [];
  const replies = await testDb.db.select().from(outbox).where(eq(outbox.caseId, result.caseId));
  const listed = (await listCases({ db: testDb.db, viewerId: viewer, filters: { search: `LC${String(row.number).padStart(7, '0')}` }, limit: 5 })).items[0];
  return { result, case: row, message, contact, replies, listed };
}

const DMARC_FAIL = `${SERVER}; spf=fail smtp.mailfrom=customer.example; dkim=none; dmarc=fail (p=reject) header.from=customer.example`;
const DMARC_PASS = `${SERVER}; spf=pass smtp.mailfrom=customer.example; dkim=pass header.d=customer.example; dmarc=pass header.from=customer.example`;

describe('a message that fails DMARC at the processor’s server', () => {
  it('gets a new flagged contact instead of the known one, no auto-reply, and a flag on the case list', async () => {
    const processorId = await mailbox();
    const real = await knownContact('ceo@customer.example');
    const got = await receive(processorId, 'The CEO <ceo@customer.example>', [DMARC_FAIL]);

    expect(got.contact.id).not.toBe(real.id);
    expect(got.contact).toMatchObject({ email: 'ceo@customer.example', unverifiedSender: true });
    expect(got.case.notes.join(' ')).toMatch(/failed DMARC/);
    expect(got.result).toMatchObject({ autoReplyQueued: false, autoReplySkip: 'sender_unverified' });
    expect(got.replies).toEqual([]);
    expect(got.message).toMatchObject({
      authentication: { authservId: SERVER, spf: 'fail', dkim: 'none', dmarc: 'fail', fromDomain: 'customer.example' },
      senderFlagged: true,
    });
    expect(got.listed?.senderFlagged).toBe(true);

    // A second forged mail reuses the flagged contact, never the real one.
    const again = await receive(processorId, 'The CEO <ceo@customer.example>', [DMARC_FAIL]);
    expect(again.contact.id).toBe(got.contact.id);
  });

  it('behaves as before when the admin turned the three settings off', async () => {
    const processorId = await mailbox({ dmarcFailNewContact: false, dmarcFailNoAutoReply: false, dmarcFailFlag: false });
    const real = await knownContact('cfo@customer.example');
    const got = await receive(processorId, 'cfo@customer.example', [DMARC_FAIL]);
    expect(got.contact.id).toBe(real.id);
    expect(got.result).toMatchObject({ autoReplyQueued: true });
    expect(got.message).toMatchObject({ authentication: { dmarc: 'fail' }, senderFlagged: false });
    expect(got.listed?.senderFlagged).toBe(false);
  });

  it('ignores a forged failure or pass under another authserv-id, and reads nothing when no server is named', async () => {
    const processorId = await mailbox();
    const real = await knownContact('cto@customer.example');
    const forged = await receive(processorId, 'cto@customer.example', [DMARC_PASS, `evil.example; dmarc=fail header.from=customer.example`]);
    expect(forged.contact.id).toBe(real.id);
    expect(forged.message).toMatchObject({ authentication: { dmarc: 'pass' }, senderFlagged: false });

    const unnamed = await mailbox({ authservId: null });
    const off = await receive(unnamed, 'cto@customer.example', [DMARC_FAIL]);
    expect(off.contact.id).toBe(real.id);
    expect(off.message.authentication).toBeNull();
    expect(off.result).toMatchObject({ autoReplyQueued: true });
  });
});
