// An import batch is planned and written in rounds (server/domain/plan-intake.ts). Whatever the batch
// holds (replies to messages of the same batch, one sender twice, a reused Message-ID, the same mail
// again, a tag of a case the batch opens), the outcome must be the one of taking each message alone.
// Two databases get the same messages: one in a single import batch, one a message per call.
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox, seedCatalog } from '../../test/harness/ingest-fixtures';
import { rawMail } from '../../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { Database } from '../db/client';
import { attachments, caseMessages, cases, contacts } from '../db/schema';
import { ingestBatch, type IngestResult } from './ingest';

let batched: TestDatabase;
let single: TestDatabase;

beforeAll(async () => {
  [batched, single] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  useDatabaseForApp(batched.url);
  await Promise.all([seedCatalog(batched.db), seedCatalog(single.db)]);
});

afterAll(async () => {
  await batched?.drop();
  await single?.drop();
});

function withAttachment(): Buffer {
  const boundary = 'b1';
  return Buffer.from(
    [
      'From: Ola Nordmann <ola@else.example>',
      'To: support@acme.example',
      'Subject: Screenshot',
      'Message-ID: <shot@else.example>',
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'See attached.',
      `--${boundary}`,
      'Content-Type: application/pdf; name="a.pdf"',
      'Content-Disposition: attachment; filename="a.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 not really').toString('base64'),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

const first = rawMail({ from: 'Kim Lee <kim@customer.example>', subject: 'Printer on fire', messageId: '<first@customer.example>' });
const messages: Buffer[] = [
  first,
  // A reply to the first, by In-Reply-To only.
  rawMail({ from: 'Kim Lee <kim@customer.example>', subject: 'Re: Printer', messageId: '<reply@customer.example>', inReplyTo: '<first@customer.example>' }),
  // The same sender again, about something else: the contact made for the first mail.
  rawMail({ from: 'KIM@customer.example', subject: 'Another question', messageId: '<another@customer.example>' }),
  // The same mail again under another UID: skipped.
  first,
  // Another mail under the first one's Message-ID: kept, with a note.
  rawMail({ from: 'Kim Lee <kim@customer.example>', subject: 'Different mail, same id', messageId: '<first@customer.example>' }),
  // A tag of the case the first message opens (LC0000001 in both databases).
  rawMail({ from: 'Kim Lee <kim@customer.example>', subject: 'Re: [LC0000001] Printer on fire', messageId: '<tagged@customer.example>' }),
  // A reply by References to the reply above, then mail without a sender and with an attachment.
  rawMail({ from: 'Someone <someone@else.example>', subject: 'Fwd', messageId: '<fwd@else.example>', references: '<first@customer.example> <reply@customer.example>' }),
  rawMail({ from: null, subject: 'Delivery failure', messageId: '<bounce@mta.example>' }),
  withAttachment(),
  rawMail({ from: 'Ola Nordmann <ola@else.example>', subject: 'Re: Screenshot', messageId: '<shot-reply@else.example>', inReplyTo: '<shot@else.example>' }),
];

type Outcome = { results: unknown[]; messages: unknown[]; cases: unknown[]; contacts: unknown[]; attachments: number };

async function outcomeOf(db: Database, results: IngestResult[]): Promise<Outcome> {
  const caseRows = await db.select().from(cases).orderBy(asc(cases.number));
  const caseIndex = new Map(caseRows.map((c, i) => [c.id, i]));
  const contactRows = await db.select().from(contacts).orderBy(asc(contacts.email));
  const contactIndex = new Map(contactRows.map((c, i) => [c.id, i]));
  const messageRows = await db.select().from(caseMessages).orderBy(asc(caseMessages.createdAt));
  return {
    results: results.map((r) => ({ kind: r.kind, ...('reason' in r && { reason: r.reason }), ...('why' in r && { why: r.why }), ...('caseNumber' in r && { caseNumber: r.caseNumber }) })),
    messages: messageRows.map((m) => ({ case: caseIndex.get(m.caseId), subject: m.subject, reason: m.threadReason, note: m.threadNote, from: m.fromAddress })),
    cases: caseRows.map((c) => ({ number: c.number, subject: c.subject, status: c.status, notes: c.notes, contact: c.contactId === null ? null : contactIndex.get(c.contactId), type: c.caseTypeId !== null })),
    contacts: contactRows.map((c) => ({ email: c.email, firstName: c.firstName, lastName: c.lastName, createdBy: c.createdByCaseId === null ? null : caseIndex.get(c.createdByCaseId) })),
    attachments: (await db.select({ id: attachments.id }).from(attachments)).length,
  };
}

describe('an import batch written in rounds', () => {
  it('ends as taking each message alone would', async () => {
    const [a, b] = await Promise.all([createMailbox(batched.db, { emailAddress: 'support@acme.example' }), createMailbox(single.db, { emailAddress: 'support@acme.example' })]);
    const batch = messages.map((raw, i) => ({ uid: i + 1, raw, isImport: true }));

    const batchedResults = await ingestBatch({ db: batched.db, processorId: a.processorId, uidValidity: 1, messages: batch });
    const singleResults: IngestResult[] = [];
    for (const message of batch) {
      singleResults.push(...(await ingestBatch({ db: single.db, processorId: b.processorId, uidValidity: 1, messages: [message] })));
    }

    const [got, want] = await Promise.all([outcomeOf(batched.db, batchedResults), outcomeOf(single.db, singleResults)]);
    expect(got).toEqual(want);
    // And what taking them alone gives is what the rules say.
    expect(want.results).toEqual([
      { kind: 'created', caseNumber: 1 },
      { kind: 'appended', reason: 'reference', caseNumber: 1 },
      { kind: 'created', caseNumber: 2 },
      { kind: 'duplicate', why: 'same-mail' },
      { kind: 'created', caseNumber: 3 },
      { kind: 'appended', reason: 'tag', caseNumber: 1 },
      { kind: 'appended', reason: 'reference', caseNumber: 1 },
      { kind: 'created', caseNumber: 4 },
      { kind: 'created', caseNumber: 5 },
      { kind: 'appended', reason: 'reference', caseNumber: 5 },
    ]);
    expect(want.contacts).toEqual([
      { email: 'kim@customer.example', firstName: 'Kim', lastName: 'Lee', createdBy: 0 },
      { email: 'ola@else.example', firstName: 'Ola', lastName: 'Nordmann', createdBy: 4 },
    ]);
    expect(want.attachments).toBe(1);
  });

  it('quarantines only the message at fault when a round fails, and keeps the rest', async () => {
    const { processorId } = await createMailbox(batched.db);
    // A fault only one message meets: a trigger refuses the case with the subject "poison". The round is
    // rolled back and its messages are taken one by one.
    await batched.sql.unsafe(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin raise exception 'poisoned case refused'; end $$;
      create trigger refuse_poison before insert on cases for each row when (new.subject = 'poison') execute function refuse_poison();`);
    const batch = [
      rawMail({ from: 'Ok <ok1@customer.example>', subject: 'one' }),
      rawMail({ from: 'Ok <ok2@customer.example>', subject: 'poison' }),
      rawMail({ from: 'Ok <ok3@customer.example>', subject: 'three' }),
    ].map((raw, i) => ({ uid: 100 + i, raw, isImport: true }));
    const results = await ingestBatch({ db: batched.db, processorId, uidValidity: 1, messages: batch });
    expect(results.map((r) => r.kind)).toEqual(['created', 'quarantined', 'created']);
    expect(results[1]).toMatchObject({ stage: 'case', error: expect.stringMatching(/poisoned case refused/) });
    await batched.sql.unsafe('drop trigger refuse_poison on cases; drop function refuse_poison();');
    const subjects = await batched.db.select({ subject: cases.subject }).from(cases).where(eq(cases.processorId, processorId)).orderBy(asc(cases.number));
    expect(subjects.map((s) => s.subject)).toEqual(['one', 'three']);
  });
});
