import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../test/harness/api-client';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { resetEnvForTests } from '../env';
import { closeDb } from '../db/client';
import type { SessionUser } from '../auth/session';
import { createUser } from '../services/users';
import { appRouter } from './root';

// Namespaces that only admins may call. A procedure added under one of them without the
// admin check fails this test; a namespace added without being listed fails the last test.
const ADMIN_NAMESPACES = ['users', 'processors', 'filters', 'audit', 'quarantine', 'oauth', 'outgoingServers'];
const AGENT_NAMESPACES = ['session', 'cases', 'contacts', 'catalog', 'replies', 'drafts'];

let testDb: TestDatabase;
let admin: SessionUser;
let agent: SessionUser;

const procedurePaths = Object.keys(appRouter._def.procedures);

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  const a = await createUser({ db: testDb.db, actor: null, input: { email: 'boss@example.com', name: 'Boss', role: 'admin', password: 'correct-horse-1' } });
  const g = await createUser({ db: testDb.db, actor: null, input: { email: 'agent@example.com', name: 'Agent', role: 'agent', password: 'correct-horse-2' } });
  admin = { id: a.id, email: a.email, name: a.name, role: 'admin' };
  agent = { id: g.id, email: g.email, name: g.name, role: 'agent' };
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

describe('who may call what', () => {
  it.each(procedurePaths)('refuses %s to an anonymous caller with 401', async (path) => {
    expect((await callApi(null, path)).status).toBe(401);
  });

  it.each(procedurePaths.filter((p) => ADMIN_NAMESPACES.includes(p.split('.')[0])))(
    'refuses admin procedure %s to an agent with 403',
    async (path) => {
      const response = await callApi(agent, path);
      expect(response.status).toBe(403);
      expect(response.error?.message).toMatch(/not allowed/i);
    },
  );

  it('lets an admin list users', async () => {
    const response = await callApi(admin, 'users.list');
    expect(response.status).toBe(200);
    const users = response.data as Array<{ email: string }>;
    expect(users.map((u) => u.email).sort()).toEqual(['agent@example.com', 'boss@example.com']);
  });

  it('lets an agent ask who they are', async () => {
    expect((await callApi(agent, 'session.me')).data).toEqual(agent);
  });

  it('knows every namespace as either admin-only or for agents', () => {
    const namespaces = new Set(procedurePaths.map((p) => p.split('.')[0]));
    for (const ns of namespaces) expect([...ADMIN_NAMESPACES, ...AGENT_NAMESPACES]).toContain(ns);
  });

  it('never returns a password hash from the users procedures', async () => {
    const created = await callApi(admin, 'users.create', {
      email: 'new@example.com',
      name: 'New Agent',
      role: 'agent',
      password: 'a-long-password',
    });
    const listed = await callApi(admin, 'users.list');
    expect(created.status).toBe(200);
    for (const output of [created.body, listed.body]) {
      expect(JSON.stringify(output)).not.toMatch(/argon2|password/i);
    }
  });

  it('reports validation problems per field', async () => {
    const response = await callApi(admin, 'users.create', { email: 'not-an-email', name: '', role: 'agent', password: 'short' });
    expect(response.status).toBe(400);
    expect(response.error?.data.fieldErrors).toEqual({
      email: 'Enter a valid email address.',
      name: 'Enter a name.',
      password: 'Use at least 10 characters.',
    });
  });

  it('signs out a user at once when an admin deactivates them', async () => {
    expect((await callApi(agent, 'session.me')).status).toBe(200);
    expect((await callApi(admin, 'users.update', { id: agent.id, active: false })).status).toBe(200);
    expect((await callApi(agent, 'session.me')).status).toBe(401);
    await callApi(admin, 'users.update', { id: agent.id, active: true });
  });

  it('keeps the last active admin from being demoted or deactivated', async () => {
    const demote = await callApi(admin, 'users.update', { id: admin.id, role: 'agent' });
    expect(demote.status).toBe(409);
    expect(demote.error?.message).toMatch(/last active admin/);
    expect((await callApi(admin, 'users.update', { id: admin.id, active: false })).status).toBe(409);
    expect((await callApi(admin, 'session.me')).data).toMatchObject({ role: 'admin' });
  });
});
