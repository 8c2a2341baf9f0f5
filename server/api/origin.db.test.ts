// tRPC mutations refuse requests made by another site's pages, even with a valid session cookie.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApiWithHeaders, procedureType, sessionCookie } from '../../test/harness/api-client';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { SessionUser } from '../auth/session';
import { closeDb } from '../db/client';
import { users } from '../db/schema';
import { env, resetEnvForTests } from '../env';
import { createUser } from '../services/users';
import { appRouter } from './root';

let testDb: TestDatabase;
let admin: SessionUser;

const mutations = Object.keys(appRouter._def.procedures).filter((path) => procedureType(path) === 'mutation');
const newUser = { email: 'csrf@example.com', name: 'Planted', role: 'admin', password: 'planted-password-1' };

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  const a = await createUser({ db: testDb.db, actor: null, input: { email: 'boss@example.com', name: 'Boss', role: 'admin', password: 'correct-horse-1' } });
  admin = { id: a.id, email: a.email, name: a.name, role: 'admin' };
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

describe('cross-site requests', () => {
  it.each(mutations)('refuses %s from a foreign Origin with 403', async (path) => {
    const response = await callApiWithHeaders({ cookie: await sessionCookie(admin), origin: 'https://evil.example' }, path, {});
    expect(response.status).toBe(403);
    expect(response.error?.message).toBe('Not allowed: this request came from another site.');
  });

  it('does not carry out a mutation sent cross-site without an Origin (Sec-Fetch-Site: cross-site)', async () => {
    const response = await callApiWithHeaders({ cookie: await sessionCookie(admin), 'sec-fetch-site': 'cross-site' }, 'users.create', newUser);
    expect(response.status).toBe(403);
    expect(await testDb.db.select().from(users).where(eq(users.email, newUser.email))).toEqual([]);
  });

  it("carries out a mutation from Leopard's own pages", async () => {
    const headers = { cookie: await sessionCookie(admin), origin: new URL(env().publicUrl).origin, 'sec-fetch-site': 'same-origin' };
    expect((await callApiWithHeaders(headers, 'users.create', newUser)).status).toBe(200);
  });

  it('leaves queries alone: they change nothing, and without CORS another site cannot read the answer', async () => {
    const response = await callApiWithHeaders({ cookie: await sessionCookie(admin), origin: 'https://evil.example' }, 'session.me');
    expect(response.status).toBe(200);
  });
});
