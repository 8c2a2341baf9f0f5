import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie } from '@/test/harness/api-client';
import { insertCase } from '@/test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '@/test/harness/test-database';
import { closeDb } from '@/server/db/client';
import { resetEnvForTests } from '@/server/env';
import { getDraft } from '@/server/services/case-drafts';
import { createUser } from '@/server/services/users';
import { POST } from './route';

let testDb: TestDatabase;
let cookie: string;
let agentId: string;
let caseId: string;

function upload(file: File | null, options: { cookie?: string; origin?: string } = {}) {
  const body = new FormData();
  if (file) body.append('file', file);
  const headers: Record<string, string> = { host: 'localhost' };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin) headers.origin = options.origin;
  return POST(new Request(`http://localhost/api/cases/${caseId}/reply-uploads`, { method: 'POST', body, headers }), { params: Promise.resolve({ caseId }) });
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  process.env.PUBLIC_URL = 'http://localhost';
  resetEnvForTests();
  const u = await createUser({ db: testDb.db, actor: null, input: { email: 'agent@example.test', name: 'Agent', role: 'agent', password: 'correct-horse-1' } });
  agentId = u.id;
  cookie = await sessionCookie({ id: u.id, email: u.email, name: u.name, role: 'agent' });
  caseId = (await insertCase(testDb.db)).id;
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

describe('reply uploads', () => {
  it('refuses a request without a session', async () => {
    const response = await upload(new File(['x'], 'a.txt', { type: 'text/plain' }));
    expect(response.status).toBe(401);
  });

  it("refuses another site's page even with the agent's cookie", async () => {
    const response = await upload(new File(['x'], 'a.txt', { type: 'text/plain' }), { cookie, origin: 'https://evil.example' });
    expect(response.status).toBe(403);
  });

  it("stores the file as the agent's upload for this case, listed with the draft", async () => {
    const response = await upload(new File(['hello'], 'notes.txt', { type: 'text/plain' }), { cookie, origin: 'http://localhost' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; filename: string; size: number };
    expect(body).toMatchObject({ filename: 'notes.txt', size: 5 });
    expect((await getDraft({ db: testDb.db, userId: agentId, caseId })).uploads.map((u) => u.id)).toEqual([body.id]);
  });

  it('refuses a file that takes the reply past 25 MB in all, saying by how much', async () => {
    const first = await upload(new File([new Uint8Array(20 * 1024 * 1024)], 'photos.zip', { type: 'application/zip' }), { cookie, origin: 'http://localhost' });
    expect(first.status).toBe(201);
    const response = await upload(new File([new Uint8Array(6 * 1024 * 1024)], 'video.mp4', { type: 'video/mp4' }), { cookie, origin: 'http://localhost' });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toBe(
      'Attachments may be 25 MB in all: video.mp4 (6 MB) would make 26 MB. Remove a file or send it another way.',
    );
    expect((await getDraft({ db: testDb.db, userId: agentId, caseId })).uploads.map((u) => u.filename)).toEqual(['notes.txt', 'photos.zip']);
  });
});
