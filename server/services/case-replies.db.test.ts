import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCase, insertMessage, insertProcessor } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { attachments, auditLog, caseMessages, cases, emailProcessors, outbox } from '../db/schema';
import { type CaseEvent, decodeCaseEvent, EVENTS_CHANNEL } from '../realtime/events';
import { addNote, replyDefaults, retryOutbound, sendReply, storeReplyUpload } from './case-replies';
import { listCaseThread } from './case-thread';
import { OUTBOX_CHANNEL } from './outbox';
import { createUser } from './users';

let testDb: TestDatabase;
let agentId: string;
let colleagueId: string;
const events: CaseEvent[] = [];
const outboxWakeups: string[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  agentId = (await createUser({ db: testDb.db, actor: null, input: { email: 'ann@example.test', name: 'Ann Agent', role: 'agent', password: 'correct-horse-1' } })).id;
  colleagueId = (await createUser({ db: testDb.db, actor: null, input: { email: 'col@example.test', name: 'Col League', role: 'agent', password: 'correct-horse-2' } })).id;
  await testDb.sql.listen(EVENTS_CHANNEL, (p) => {
    const e = decodeCaseEvent(p);
    if (e) events.push(e);
  });
  await testDb.sql.listen(OUTBOX_CHANNEL, (p) => outboxWakeups.push(p));
});
afterAll(() => testDb.drop());

async function caseWithMail() {
  const processor = await insertProcessor(testDb.db, `Support ${Math.random().toString(36).slice(2, 8)}`);
  await testDb.db.update(emailProcessors).set({ signature: 'Best,\n{agent}\n{mailbox} · {case}' }).where(eq(emailProcessors.id, processor.id));
  const c = await insertCase(testDb.db, { subject: 'Printer on fire', processorId: processor.id, status: 'new' });
  const mail = await insertMessage(testDb.db, {
    caseId: c.id,
    processorId: processor.id,
    messageId: 'first@customer.example',
    references: ['root@customer.example'],
    fromAddress: 'jane@customer.example',
    fromName: 'Jane',
    replyTo: [{ address: 'tickets@customer.example', name: '' }],
    to: [{ address: processor.emailAddress, name: '' }],
    cc: [{ address: 'bob@customer.example', name: 'Bob' }],
    subject: 'Printer on fire',
    textBody: 'It burns.',
  });
  return { processor, case: c, mail };
}

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
}

describe('answering a case', () => {
  it('starts from Reply-To over From, CC without our own mailbox, the tagged subject, the quote and the rendered signature', async () => {
    const { case: c, mail } = await caseWithMail();
    const d = await replyDefaults({ db: testDb.db, caseId: c.id, messageId: mail.id, actorId: agentId });
    expect(d.to).toEqual([{ address: 'tickets@customer.example', name: '' }]);
    expect(d.cc).toEqual([{ address: 'bob@customer.example', name: 'Bob' }]);
    expect(d.subject).toBe(`[LC${String(c.number).padStart(7, '0')}] Re: Printer on fire`);
    expect(d.quote?.text).toContain('> It burns.');
    expect(d.signature).toContain('Ann Agent');
    expect(d.canSend).toBe(true);
  });

  it('stores the reply, its attachment, its outbox row, the Pending status, the audit row and the event in one go', async () => {
    const { processor, case: c, mail } = await caseWithMail();
    const upload = await storeReplyUpload({ db: testDb.db, actorId: agentId, caseId: c.id, filename: 'invoice.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4') });
    const sent = await sendReply({
      db: testDb.db,
      actorId: agentId,
      caseId: c.id,
      inReplyToMessageId: mail.id,
      to: [{ address: 'tickets@customer.example', name: '' }],
      cc: [{ address: 'bob@customer.example', name: 'Bob' }],
      subject: '',
      text: 'We are on it.',
      html: '<p>We are <b>on it</b>.<script>alert(1)</script><img src=x onerror=alert(1)></p>',
      uploadIds: [upload.id],
    });
    const [row] = await testDb.db.select().from(outbox).where(eq(outbox.id, sent.outboxId));
    expect(row).toMatchObject({ kind: 'reply', status: 'pending', fromAddress: processor.emailAddress, toAddress: 'tickets@customer.example', messageId: sent.messageId });
    expect(row!.headers).toEqual({
      'Message-ID': `<${sent.messageId}>`,
      'In-Reply-To': '<first@customer.example>',
      References: '<root@customer.example> <first@customer.example>',
    });
    expect(row!.htmlBody).toContain('<b>on it</b>');
    expect(row!.htmlBody).not.toMatch(/script|onerror/);
    expect(row!.textBody).toContain('-- \nBest,\nAnn Agent');
    expect(row!.subject).toBe(`[${sent.caseNumber}] Re: Printer on fire`);
    const [message] = await testDb.db.select().from(caseMessages).where(eq(caseMessages.id, sent.caseMessageId));
    expect(message).toMatchObject({ direction: 'outbound', authorId: agentId, messageId: sent.messageId, inReplyTo: 'first@customer.example' });
    expect(await testDb.db.select({ f: attachments.filename }).from(attachments).where(eq(attachments.caseMessageId, sent.caseMessageId))).toEqual([{ f: 'invoice.pdf' }]);
    const [after] = await testDb.db.select().from(cases).where(eq(cases.id, c.id));
    expect(after!.status).toBe('pending');
    const audits = await testDb.db.select().from(auditLog).where(eq(auditLog.entityId, c.id));
    expect(audits.map((a) => a.action)).toContain('case.replied');
    await until(() => outboxWakeups.includes(sent.outboxId) && events.some((e) => e.type === 'case.updated' && e.messageId === sent.caseMessageId));
    expect(outboxWakeups).toContain(sent.outboxId);
    expect(events.some((e) => e.type === 'case.updated' && e.messageId === sent.caseMessageId && e.case.status === 'pending')).toBe(true);
    const thread = await listCaseThread({ db: testDb.db, caseId: c.id });
    expect(thread.at(-1)).toMatchObject({ direction: 'outbound', author: { id: agentId, name: 'Ann Agent' }, outboxId: sent.outboxId, delivery: { state: 'queued' } });
  });

  it('keeps the status the agent chose, and a repeated click with one key sends one reply', async () => {
    const { case: c, mail } = await caseWithMail();
    const args = { db: testDb.db, actorId: agentId, caseId: c.id, inReplyToMessageId: mail.id, to: [{ address: 'jane@customer.example', name: '' }], cc: [], subject: '', text: 'Done.', status: 'closed' as const, clientKey: 'click-0001' };
    const [a, b] = await Promise.all([sendReply(args), sendReply(args)]);
    expect(a.outboxId).toBe(b.outboxId);
    expect(await testDb.db.select().from(outbox).where(eq(outbox.caseId, c.id))).toHaveLength(1);
    const [after] = await testDb.db.select().from(cases).where(eq(cases.id, c.id));
    expect(after!.status).toBe('closed');
  });

  it('writes nothing when an address carries a line break or there are more than 50 recipients', async () => {
    const { case: c, mail } = await caseWithMail();
    const base = { db: testDb.db, actorId: agentId, caseId: c.id, inReplyToMessageId: mail.id, subject: '', text: 'Hi' };
    await expect(sendReply({ ...base, to: [{ address: 'jane@customer.example\r\nBcc: all@victims.example', name: '' }], cc: [] })).rejects.toMatchObject({ code: 'VALIDATION' });
    const many = Array.from({ length: 51 }, (_, i) => ({ address: `p${i}@customer.example`, name: '' }));
    await expect(sendReply({ ...base, to: many.slice(0, 1), cc: many.slice(1) })).rejects.toMatchObject({ code: 'VALIDATION', fieldErrors: { cc: expect.stringContaining('50') } });
    expect(await testDb.db.select().from(outbox).where(eq(outbox.caseId, c.id))).toHaveLength(0);
    const [after] = await testDb.db.select().from(cases).where(eq(cases.id, c.id));
    expect(after!.status).toBe('new');
  });

  it('asks before sending when a colleague answered the same message since the agent began', async () => {
    const { case: c, mail } = await caseWithMail();
    const began = new Date(Date.now() - 1000).toISOString();
    const reply = { db: testDb.db, caseId: c.id, inReplyToMessageId: mail.id, to: [{ address: 'jane@customer.example', name: '' }], cc: [], subject: '', text: 'Hi' };
    await sendReply({ ...reply, actorId: colleagueId });
    await expect(sendReply({ ...reply, actorId: agentId, ifNoReplySince: began })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('Col League') });
    await sendReply({ ...reply, actorId: agentId });
    expect(await testDb.db.select().from(outbox).where(eq(outbox.caseId, c.id))).toHaveLength(2);
  });

  it('stores a note in the thread, audited and live, never in the outbox', async () => {
    const { case: c } = await caseWithMail();
    const { caseMessageId } = await addNote({ db: testDb.db, actorId: agentId, caseId: c.id, text: 'Customer called, wants a refund.' });
    const thread = await listCaseThread({ db: testDb.db, caseId: c.id });
    expect(thread.at(-1)).toMatchObject({ id: caseMessageId, direction: 'note', text: 'Customer called, wants a refund.', delivery: null, author: { name: 'Ann Agent' } });
    expect(await testDb.db.select().from(outbox).where(eq(outbox.caseId, c.id))).toHaveLength(0);
    expect((await testDb.db.select().from(auditLog).where(eq(auditLog.entityId, c.id))).map((a) => a.action)).toContain('case.note_added');
    await until(() => events.some((e) => e.type === 'case.updated' && e.messageId === caseMessageId));
    expect(events.some((e) => e.type === 'case.updated' && e.messageId === caseMessageId)).toBe(true);
  });

  it('sends a failed reply again on request with a fresh key, and refuses to resend one that was sent', async () => {
    const { case: c, mail } = await caseWithMail();
    const sent = await sendReply({ db: testDb.db, actorId: agentId, caseId: c.id, inReplyToMessageId: mail.id, to: [{ address: 'jane@customer.example', name: '' }], cc: [], subject: '', text: 'Hi' });
    await expect(retryOutbound({ db: testDb.db, actorId: agentId, outboundId: sent.outboxId })).rejects.toMatchObject({ code: 'CONFLICT' });
    await testDb.db.update(outbox).set({ status: 'failed', lastError: '550 5.1.1 no such user', lastErrorKind: 'transport', attempts: 1 }).where(eq(outbox.id, sent.outboxId));
    await retryOutbound({ db: testDb.db, actorId: agentId, outboundId: sent.outboxId });
    const [row] = await testDb.db.select().from(outbox).where(eq(outbox.id, sent.outboxId));
    expect(row).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
    expect(row!.idempotencyKey).toMatch(/#retry1$/);
    await testDb.db.update(outbox).set({ status: 'sent' }).where(eq(outbox.id, sent.outboxId));
    await expect(retryOutbound({ db: testDb.db, actorId: agentId, outboundId: sent.outboxId })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
