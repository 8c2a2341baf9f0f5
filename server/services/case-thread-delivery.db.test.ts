// The thread shows each auto-reply with what the outbox did with it; "sent" only once it was sent.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { outbox } from '../db/schema';
import { OUTBOX_MAX_ATTEMPTS } from '../domain/retry-backoff';
import { listCaseThread } from './case-thread';
import { ingestMessage } from './ingest';
import { claimDueOutbox, markOutboxAttemptFailed, markOutboxSent } from './outbox';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  await seedCatalog(testDb.db);
});
afterAll(() => testDb?.drop());

let uid = 1;
async function caseWithAutoReply() {
  const { processorId } = await createMailbox(testDb.db, { autoReply: true });
  const result = await ingestMessage({ db: testDb.db, processorId, uidValidity: 1, uid: uid++, raw: rawMail({ from: `Ann <ann${uid}@customer.example>` }), isImport: false });
  if (result.kind !== 'created') throw new Error(`expected a new case, got ${result.kind}`);
  const [mail] = await testDb.db.select().from(outbox).where(eq(outbox.caseId, result.caseId));
  return { caseId: result.caseId, mail };
}

async function deliveryOfAutoReply(caseId: string) {
  const thread = await listCaseThread({ db: testDb.db, caseId });
  expect(thread.map((m) => m.direction)).toEqual(['inbound', 'outbound']);
  expect(thread[0].delivery).toBeNull();
  return thread[1].delivery;
}

async function claim(id: string) {
  await testDb.db.update(outbox).set({ nextAttemptAt: new Date(0) }).where(eq(outbox.id, id));
  const due = await claimDueOutbox({ db: testDb.db, limit: 100, claimMs: 60_000 });
  const mail = due.find((m) => m.id === id);
  if (!mail) throw new Error('the auto-reply was not due');
  return mail;
}

describe('the delivery state of an auto-reply in the thread', () => {
  it('is queued, then "no transport" while the worker has none, then sent', async () => {
    const { caseId, mail } = await caseWithAutoReply();
    expect(await deliveryOfAutoReply(caseId)).toEqual({ state: 'queued' });

    const claimed = await claim(mail.id);
    await markOutboxAttemptFailed({ db: testDb.db, mail: claimed, error: 'No outbound mail transport is configured', kind: 'no_transport', permanent: false });
    expect(await deliveryOfAutoReply(caseId)).toMatchObject({ state: 'no_transport', final: false });

    await claim(mail.id);
    await markOutboxSent({ db: testDb.db, id: mail.id, providerMessageId: 're_1' });
    expect(await deliveryOfAutoReply(caseId)).toMatchObject({ state: 'sent' });
  });

  it('is retrying after a transport error, and failed once the outbox gave up', async () => {
    const { caseId, mail } = await caseWithAutoReply();
    const claimed = await claim(mail.id);
    await markOutboxAttemptFailed({ db: testDb.db, mail: claimed, error: 'SMTP server refused the mail: 451', kind: 'transport', permanent: false });
    expect(await deliveryOfAutoReply(caseId)).toMatchObject({ state: 'retrying', attempts: 1, error: 'SMTP server refused the mail: 451' });

    const last = await claim(mail.id);
    await markOutboxAttemptFailed({ db: testDb.db, mail: { ...last, attempts: OUTBOX_MAX_ATTEMPTS }, error: 'SMTP server refused the mail: 550', kind: 'transport', permanent: false });
    expect(await deliveryOfAutoReply(caseId)).toMatchObject({ state: 'failed', error: 'SMTP server refused the mail: 550' });
  });
});
