import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { insertCase, insertCaseWithCreatedContact, insertContact } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { closeDb } from '../db/client';
import { auditLog, casePriorities, cases, contacts } from '../db/schema';
import { resetEnvForTests } from '../env';
import { type CaseEvent, decodeCaseEvent, EVENTS_CHANNEL } from '../realtime/events';
import type { AuditActor } from './audit';
import { seedDefaults } from './bootstrap';
import { setCaseSpam, updateCase } from './case-actions';
import { createUser } from './users';

let testDb: TestDatabase;
let agent: AuditActor;
let colleague: string;
let events: CaseEvent[] = [];
let unlisten: () => Promise<void>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  await seedDefaults({ db: testDb.db, adminEmail: 'seed@example.test', adminPassword: 'seed-password-1' });
  const a = await createUser({ db: testDb.db, actor: null, input: { email: 'agent@example.test', name: 'Agent', role: 'agent', password: 'correct-horse-1' } });
  agent = { id: a.id, email: a.email };
  colleague = (await createUser({ db: testDb.db, actor: null, input: { email: 'col@example.test', name: 'Col', role: 'agent', password: 'correct-horse-2' } })).id;
  const listener = await testDb.sql.listen(EVENTS_CHANNEL, (payload) => {
    const event = decodeCaseEvent(payload);
    if (event) events.push(event);
  });
  unlisten = listener.unlisten;
});

beforeEach(() => {
  events = [];
});

afterAll(async () => {
  await unlisten();
  await closeDb();
  await testDb.drop();
});

async function auditOf(caseId: string) {
  return testDb.db.select().from(auditLog).where(eq(auditLog.entityId, caseId));
}

async function contactExists(id: string) {
  return (await testDb.db.select().from(contacts).where(eq(contacts.id, id))).length === 1;
}

describe('updating a case', () => {
  it('changes status, people and priority, audits the change and announces it after commit', async () => {
    const c = await insertCase(testDb.db, { subject: 'Broken login', lastActivityAt: new Date('2024-01-01') });
    const [high] = await testDb.db.select().from(casePriorities).where(eq(casePriorities.name, 'High'));
    const result = await updateCase({
      db: testDb.db,
      actor: agent,
      caseId: c.id,
      changes: { status: 'pending', assignedToId: colleague, managedById: agent.id, casePriorityId: high.id },
    });
    expect(result.changed.sort()).toEqual(['assignedToId', 'casePriorityId', 'managedById', 'status']);

    const [stored] = await testDb.db.select().from(cases).where(eq(cases.id, c.id));
    expect(stored).toMatchObject({ status: 'pending', assignedToId: colleague, managedById: agent.id, casePriorityId: high.id });
    expect(stored.lastActivityAt.getTime()).toBeGreaterThan(new Date('2024-01-01').getTime());

    const [audit] = await auditOf(c.id);
    expect(audit).toMatchObject({ action: 'case.updated', actorId: agent.id, entityType: 'case' });
    expect(audit.details).toMatchObject({ changes: { status: { from: 'new', to: 'pending' } } });

    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]).toMatchObject({
      type: 'case.updated',
      actorId: agent.id,
      case: { caseId: c.id, status: 'pending', assignedToId: colleague, subject: 'Broken login' },
    });
  });

  it('does nothing, and audits nothing, when no field changes', async () => {
    const c = await insertCase(testDb.db, { status: 'open' });
    expect((await updateCase({ db: testDb.db, actor: agent, caseId: c.id, changes: { status: 'open' } })).changed).toEqual([]);
    expect(await auditOf(c.id)).toHaveLength(0);
  });

  it('refuses an assignee who is not an active user, on that field', async () => {
    const c = await insertCase(testDb.db);
    await expect(
      updateCase({ db: testDb.db, actor: agent, caseId: c.id, changes: { assignedToId: '00000000-0000-4000-8000-000000000000' } }),
    ).rejects.toMatchObject({ code: 'VALIDATION', fieldErrors: { assignedToId: 'Choose an active user.' } });
  });

  it('can clear the assignee', async () => {
    const c = await insertCase(testDb.db, { assignedToId: colleague });
    await updateCase({ db: testDb.db, actor: agent, caseId: c.id, changes: { assignedToId: null } });
    const [stored] = await testDb.db.select().from(cases).where(eq(cases.id, c.id));
    expect(stored.assignedToId).toBeNull();
  });

  it('answers NOT_FOUND for a case that does not exist', async () => {
    await expect(
      updateCase({ db: testDb.db, actor: agent, caseId: '00000000-0000-4000-8000-000000000000', changes: { status: 'open' } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('marking a case as spam', () => {
  it('deletes the contact that this case created when the contact has no other cases', async () => {
    const { case: c, contact } = await insertCaseWithCreatedContact(testDb.db, 'spammer@bad.test');
    const outcome = await setCaseSpam({ db: testDb.db, actor: agent, caseId: c.id, spam: true });
    expect(outcome).toEqual({ spam: true, changed: true, contact: { kind: 'deleted', email: 'spammer@bad.test' } });
    expect(await contactExists(contact.id)).toBe(false);
    const [stored] = await testDb.db.select().from(cases).where(eq(cases.id, c.id));
    expect(stored).toMatchObject({ isSpam: true, contactId: null });
    const actions = (await auditOf(c.id)).map((a) => a.action);
    expect(actions).toEqual(['case.marked_spam']);
    expect((await auditOf(contact.id)).map((a) => a.action)).toEqual(['contact.deleted']);
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]).toMatchObject({ type: 'case.updated', case: { caseId: c.id, isSpam: true } });
  });

  it('keeps the contact that this case created when the contact has another open case', async () => {
    const { case: c, contact } = await insertCaseWithCreatedContact(testDb.db, 'real@customer.test');
    await insertCase(testDb.db, { contactId: contact.id, status: 'open' });
    const outcome = await setCaseSpam({ db: testDb.db, actor: agent, caseId: c.id, spam: true });
    expect(outcome.contact).toEqual({ kind: 'kept', email: 'real@customer.test', reason: 'has_other_cases', otherCases: 1 });
    expect(await contactExists(contact.id)).toBe(true);
  });

  it('deletes the created contact when its other cases are all spam', async () => {
    const { case: c, contact } = await insertCaseWithCreatedContact(testDb.db, 'bot@bad.test');
    await insertCase(testDb.db, { contactId: contact.id, isSpam: true });
    const outcome = await setCaseSpam({ db: testDb.db, actor: agent, caseId: c.id, spam: true });
    expect(outcome.contact.kind).toBe('deleted');
    expect(await contactExists(contact.id)).toBe(false);
  });

  it('keeps a contact that existed before the case', async () => {
    const contact = await insertContact(testDb.db, { email: 'old@customer.test' });
    const c = await insertCase(testDb.db, { contactId: contact.id });
    const outcome = await setCaseSpam({ db: testDb.db, actor: agent, caseId: c.id, spam: true });
    expect(outcome.contact).toEqual({ kind: 'kept', email: 'old@customer.test', reason: 'not_created_by_this_case' });
    expect(await contactExists(contact.id)).toBe(true);
  });

  it('keeps a contact that another case created', async () => {
    const { contact } = await insertCaseWithCreatedContact(testDb.db, 'first@customer.test');
    const later = await insertCase(testDb.db, { contactId: contact.id });
    const outcome = await setCaseSpam({ db: testDb.db, actor: agent, caseId: later.id, spam: true });
    expect(outcome.contact).toMatchObject({ kind: 'kept', reason: 'not_created_by_this_case' });
    expect(await contactExists(contact.id)).toBe(true);
  });

  it('does not bring a deleted contact back when the case is marked not spam, and audits it', async () => {
    const { case: c, contact } = await insertCaseWithCreatedContact(testDb.db, 'oops@customer.test');
    await setCaseSpam({ db: testDb.db, actor: agent, caseId: c.id, spam: true });
    const outcome = await setCaseSpam({ db: testDb.db, actor: agent, caseId: c.id, spam: false });
    expect(outcome).toEqual({ spam: false, changed: true, contact: { kind: 'none' } });
    expect(await contactExists(contact.id)).toBe(false);
    expect(await testDb.db.select().from(contacts).where(eq(contacts.email, 'oops@customer.test'))).toHaveLength(0);
    const [stored] = await testDb.db.select().from(cases).where(eq(cases.id, c.id));
    expect(stored).toMatchObject({ isSpam: false, contactId: null });
    expect((await auditOf(c.id)).map((a) => a.action).sort()).toEqual(['case.marked_not_spam', 'case.marked_spam']);
  });

  it('changes nothing when the case already is spam', async () => {
    const c = await insertCase(testDb.db, { isSpam: true });
    expect(await setCaseSpam({ db: testDb.db, actor: agent, caseId: c.id, spam: true })).toMatchObject({ changed: false });
    expect(await testDb.db.select().from(auditLog).where(eq(auditLog.entityId, c.id))).toHaveLength(0);
  });
});
