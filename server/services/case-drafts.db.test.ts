import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCase, insertMessage, insertProcessor } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { closeDb } from '../db/client';
import { resetEnvForTests } from '../env';
import { discardDraft, getDraft, saveDraft, uploadedBytes } from './case-drafts';
import { addNote, sendReply, storeReplyUpload } from './case-replies';
import { createUser } from './users';

let testDb: TestDatabase;
let agent: string;
let colleague: string;

const draft = (over: Partial<Parameters<typeof saveDraft>[0]['draft']> = {}) => ({
  mode: 'reply' as const,
  bodyHtml: '<p>Hello</p>',
  bodyText: 'Hello',
  toText: 'Jane Doe <jane@example.test>',
  ccText: '',
  subject: '[LC0000001] Re: Help',
  ...over,
});

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  agent = (await createUser({ db: testDb.db, actor: null, input: { email: 'a@example.test', name: 'Alice Agent', role: 'agent', password: 'correct-horse-1' } })).id;
  colleague = (await createUser({ db: testDb.db, actor: null, input: { email: 'b@example.test', name: 'Bob Agent', role: 'agent', password: 'correct-horse-2' } })).id;
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

describe('case drafts', () => {
  it('keeps one draft per agent and case: a later save replaces the text, the start time stays, a colleague has their own', async () => {
    const c = await insertCase(testDb.db);
    expect((await getDraft({ db: testDb.db, userId: agent, caseId: c.id })).draft).toBeNull();
    const first = await saveDraft({ db: testDb.db, userId: agent, caseId: c.id, draft: draft() });
    const second = await saveDraft({ db: testDb.db, userId: agent, caseId: c.id, draft: draft({ bodyHtml: '<p>Hello again</p>', bodyText: 'Hello again', ccText: 'bo' }) });
    await saveDraft({ db: testDb.db, userId: colleague, caseId: c.id, draft: draft({ mode: 'note', bodyHtml: '<p>Mine</p>', bodyText: 'Mine' }) });

    const mine = await getDraft({ db: testDb.db, userId: agent, caseId: c.id });
    expect(mine.draft).toMatchObject({ mode: 'reply', bodyText: 'Hello again', ccText: 'bo', toText: 'Jane Doe <jane@example.test>' });
    expect(mine.draft!.createdAt).toEqual(first.createdAt);
    expect(second.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
    expect((await getDraft({ db: testDb.db, userId: colleague, caseId: c.id })).draft).toMatchObject({ mode: 'note', bodyText: 'Mine' });
  });

  it('stores the editor HTML sanitized: scripts, handlers and javascript: links do not survive a save', async () => {
    const c = await insertCase(testDb.db);
    await saveDraft({
      db: testDb.db,
      userId: agent,
      caseId: c.id,
      draft: draft({ bodyHtml: '<p onclick="x()">Hi <strong>there</strong><script>alert(1)</script><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)></p>' }),
    });
    const { draft: saved } = await getDraft({ db: testDb.db, userId: agent, caseId: c.id });
    expect(saved!.bodyHtml).toBe('<p>Hi <strong>there</strong><a>x</a></p>');
  });

  it('returns the files attached to the draft with it, counts their bytes, and Discard removes text and files', async () => {
    const c = await insertCase(testDb.db);
    await saveDraft({ db: testDb.db, userId: agent, caseId: c.id, draft: draft() });
    const file = await storeReplyUpload({ db: testDb.db, actorId: agent, caseId: c.id, filename: 'invoice.pdf', contentType: 'application/pdf', content: Buffer.alloc(1500, 1) });
    await storeReplyUpload({ db: testDb.db, actorId: colleague, caseId: c.id, filename: 'other.txt', contentType: 'text/plain', content: Buffer.from('x') });

    const mine = await getDraft({ db: testDb.db, userId: agent, caseId: c.id });
    expect(mine.uploads).toEqual([{ id: file.id, filename: 'invoice.pdf', contentType: 'application/pdf', size: 1500 }]);
    expect(mine.attachmentLimitBytes).toBe(25 * 1024 * 1024);
    expect(await uploadedBytes({ db: testDb.db, userId: agent, caseId: c.id })).toBe(1500);

    await discardDraft({ db: testDb.db, userId: agent, caseId: c.id });
    expect(await getDraft({ db: testDb.db, userId: agent, caseId: c.id })).toMatchObject({ draft: null, uploads: [] });
    expect((await getDraft({ db: testDb.db, userId: colleague, caseId: c.id })).uploads).toHaveLength(1);
  });

  it("sending the reply removes the author's draft in the same step, and a note removes the note's draft; a colleague's draft stays", async () => {
    const processor = await insertProcessor(testDb.db, `Drafts ${Date.now()}`);
    const c = await insertCase(testDb.db, { processorId: processor!.id });
    const inbound = await insertMessage(testDb.db, { caseId: c.id, messageId: 'question@example.test', subject: 'Help' });
    await saveDraft({ db: testDb.db, userId: agent, caseId: c.id, draft: draft() });
    await saveDraft({ db: testDb.db, userId: colleague, caseId: c.id, draft: draft({ bodyText: 'Bob writes' }) });

    await sendReply({
      db: testDb.db,
      actorId: agent,
      caseId: c.id,
      inReplyToMessageId: inbound!.id,
      to: [{ address: 'jane@example.test', name: 'Jane Doe' }],
      cc: [],
      subject: '',
      text: 'Hello',
    });
    expect((await getDraft({ db: testDb.db, userId: agent, caseId: c.id })).draft).toBeNull();
    expect((await getDraft({ db: testDb.db, userId: colleague, caseId: c.id })).draft).toMatchObject({ bodyText: 'Bob writes' });

    await addNote({ db: testDb.db, actorId: colleague, caseId: c.id, text: 'Bob writes' });
    expect((await getDraft({ db: testDb.db, userId: colleague, caseId: c.id })).draft).toBeNull();
  });
});
