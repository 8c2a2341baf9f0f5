import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie } from '@/test/harness/api-client';
import { insertAttachment, insertCase, insertMessage } from '@/test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '@/test/harness/test-database';
import { signAttachmentToken } from '@/server/auth/attachment-token';
import { closeDb } from '@/server/db/client';
import { env, resetEnvForTests } from '@/server/env';
import { createUser } from '@/server/services/users';
import { GET } from './route';

let testDb: TestDatabase;
let cookie: string;
let fileId: string;

function download(id: string, options: { cookie?: string; token?: string } = {}) {
  const url = `http://localhost/api/attachments/${id}${options.token ? `?t=${options.token}` : ''}`;
  return GET(new Request(url, { headers: options.cookie ? { cookie: options.cookie } : {} }), { params: Promise.resolve({ id }) });
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  const u = await createUser({ db: testDb.db, actor: null, input: { email: 'agent@example.test', name: 'Agent', role: 'agent', password: 'correct-horse-1' } });
  cookie = await sessionCookie({ id: u.id, email: u.email, name: u.name, role: 'agent' });
  const c = await insertCase(testDb.db);
  const m = await insertMessage(testDb.db, { caseId: c.id });
  fileId = (
    await insertAttachment(testDb.db, { caseMessageId: m.id, content: Buffer.from('<script>alert(1)</script>'), filename: 'réponse "final".html', contentType: 'text/html' })
  ).id;
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

describe('attachment downloads', () => {
  it('refuses an anonymous request', async () => {
    expect((await download(fileId)).status).toBe(401);
  });

  it('sends the file to a signed-in user as a download that the browser must not sniff or run', async () => {
    const response = await download(fileId, { cookie });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<script>alert(1)</script>');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="r_ponse _final_.html"; filename*=UTF-8''${encodeURIComponent('réponse "final".html')}`,
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  });

  it('accepts a signed link for that attachment without a session', async () => {
    const token = signAttachmentToken({ secret: env().authSecret, attachmentId: fileId, now: Date.now() });
    expect((await download(fileId, { token })).status).toBe(200);
  });

  it('refuses a signed link made for another attachment', async () => {
    const token = signAttachmentToken({ secret: env().authSecret, attachmentId: '00000000-0000-4000-8000-000000000000', now: Date.now() });
    expect((await download(fileId, { token })).status).toBe(401);
  });

  it('answers 404 for an attachment that does not exist', async () => {
    expect((await download('00000000-0000-4000-8000-000000000000', { cookie })).status).toBe(404);
  });
});
