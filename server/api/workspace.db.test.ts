// The agent workspace through the real tRPC HTTP handler: what the case page and the contacts
// pages receive, and how input problems come back per field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../test/harness/api-client';
import { insertAttachment, insertCase, insertCaseWithCreatedContact, insertContact, insertMessage } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { SessionUser } from '../auth/session';
import { closeDb } from '../db/client';
import { resetEnvForTests } from '../env';
import type { CaseDetail } from '../services/cases';
import type { ContactDetail, ContactListItem } from '../services/contacts';
import { createUser } from '../services/users';

let testDb: TestDatabase;
let agent: SessionUser;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  const u = await createUser({ db: testDb.db, actor: null, input: { email: 'agent@example.test', name: 'Agent', role: 'agent', password: 'correct-horse-1' } });
  agent = { id: u.id, email: u.email, name: u.name, role: 'agent' };
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

describe('the case page data', () => {
  let number: number;
  let htmlMessageId: string;
  let inlineId: string;

  beforeAll(async () => {
    const { case: c } = await insertCaseWithCreatedContact(testDb.db, 'jane@customer.test', { subject: 'Invoice', notes: ['No filter matched.'] });
    number = c.number;
    await insertMessage(testDb.db, { caseId: c.id, textBody: 'First, plain', threadReason: 'new', createdAt: new Date('2024-01-01') });
    const html = await insertMessage(testDb.db, {
      caseId: c.id,
      threadReason: 'tag',
      threadNote: 'The subject carried [LC0000001].',
      createdAt: new Date('2024-01-02'),
      htmlBody:
        '<p onclick="alert(1)">Hi<script>alert(2)</script></p><img src="cid:logo@x"><img src="https://tracker.invalid/p.gif">',
    });
    htmlMessageId = html.id;
    inlineId = (await insertAttachment(testDb.db, { caseMessageId: html.id, content: Buffer.from('png'), contentId: 'logo@x', inline: true, contentType: 'image/png' })).id;
    await insertAttachment(testDb.db, { caseMessageId: html.id, content: Buffer.from('%PDF'), filename: 'invoice.pdf', contentType: 'application/pdf' });
  });

  it('gives the header and the thread oldest first, with why each message joined', async () => {
    const response = await callApi(agent, 'cases.get', { number });
    expect(response.status).toBe(200);
    const detail = response.data as CaseDetail;
    expect(detail.case).toMatchObject({ subject: 'Invoice', status: 'new', notes: ['No filter matched.'], contact: { email: 'jane@customer.test' } });
    expect(detail.messages.map((m) => m.threadReason)).toEqual(['new', 'tag']);
    expect(detail.messages[1].threadNote).toBe('The subject carried [LC0000001].');
  });

  it('sends HTML sanitized, with inline images signed and remote images blocked', async () => {
    const detail = (await callApi(agent, 'cases.get', { number })).data as CaseDetail;
    const message = detail.messages[1];
    expect(message.html).not.toMatch(/script|onclick|tracker\.invalid/);
    expect(message.html).toMatch(new RegExp(`src="/api/attachments/${inlineId}\\?t=\\d+\\.[\\w-]+"`));
    expect(message.remoteImages).toBe(1);
    expect(message.attachments).toEqual([expect.objectContaining({ filename: 'invoice.pdf', url: expect.stringMatching(/^\/api\/attachments\/[\w-]+$/) })]);
  });

  it('sends a message with its remote images when the agent allows them', async () => {
    const response = await callApi(agent, 'cases.messageHtml', { messageId: htmlMessageId, allowRemoteImages: true });
    expect((response.data as { html: string }).html).toContain('src="https://tracker.invalid/p.gif"');
  });

  it('answers 404 for a case number that does not exist', async () => {
    const response = await callApi(agent, 'cases.get', { number: 9_999_999 });
    expect(response.status).toBe(404);
    expect(response.error?.message).toBe('There is no case LC9999999.');
  });
});

describe('case actions over the API', () => {
  it('reports an unknown assignee on its field', async () => {
    const c = await insertCase(testDb.db);
    const response = await callApi(agent, 'cases.update', { caseId: c.id, assignedToId: '00000000-0000-4000-8000-000000000000' });
    expect(response.status).toBe(400);
    expect(response.error?.data.fieldErrors).toEqual({ assignedToId: 'Choose an active user.' });
  });

  it('says what marking spam did to the contact', async () => {
    const { case: c } = await insertCaseWithCreatedContact(testDb.db, 'spam@bad.test');
    const response = await callApi(agent, 'cases.setSpam', { caseId: c.id, spam: true });
    expect(response.data).toEqual({ spam: true, changed: true, contact: { kind: 'deleted', email: 'spam@bad.test' } });
  });
});

describe('contacts', () => {
  it('lists contacts newest first and finds them by name or address', async () => {
    await insertContact(testDb.db, { email: 'ann@a.test', firstName: 'Ann', lastName: 'Lee', createdAt: new Date('2030-01-01') });
    await insertContact(testDb.db, { email: 'bo@b.test', firstName: 'Bo', lastName: 'Smith', createdAt: new Date('2030-01-02') });
    const all = (await callApi(agent, 'contacts.list', {})).data as { items: ContactListItem[] };
    expect(all.items.slice(0, 2).map((c) => c.email)).toEqual(['bo@b.test', 'ann@a.test']);
    const byName = (await callApi(agent, 'contacts.list', { search: 'ann lee' })).data as { items: ContactListItem[] };
    expect(byName.items.map((c) => c.email)).toEqual(['ann@a.test']);
    const byAddress = (await callApi(agent, 'contacts.list', { search: 'B.TEST' })).data as { items: ContactListItem[] };
    expect(byAddress.items.map((c) => c.email)).toEqual(['bo@b.test']);
  });

  it('shows a contact with their cases', async () => {
    const { case: c, contact } = await insertCaseWithCreatedContact(testDb.db, 'carl@c.test', { subject: 'Where is my order' });
    const detail = (await callApi(agent, 'contacts.get', { id: contact.id })).data as ContactDetail;
    expect(detail.cases.map((x) => x.subject)).toEqual(['Where is my order']);
    expect(detail.createdByCase?.caseNumber).toMatch(/^LC\d{7}$/);
    expect(detail.cases[0].id).toBe(c.id);
  });

  it('saves new names and address, audited', async () => {
    const contact = await insertContact(testDb.db, { email: 'dan@d.test', firstName: 'D' });
    const response = await callApi(agent, 'contacts.update', { id: contact.id, firstName: ' Dan ', lastName: 'Day', email: 'dan.day@d.test' });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ firstName: 'Dan', lastName: 'Day', email: 'dan.day@d.test', name: 'Dan Day' });
  });

  it('reports an invalid address and a missing name on their fields', async () => {
    const contact = await insertContact(testDb.db, { email: 'eve@e.test', firstName: 'Eve' });
    const response = await callApi(agent, 'contacts.update', { id: contact.id, firstName: ' ', lastName: '', email: 'not an address' });
    expect(response.status).toBe(400);
    expect(response.error?.data.fieldErrors).toEqual({ email: 'Enter a valid email address.', firstName: 'Enter a first or a last name.' });
  });
});
