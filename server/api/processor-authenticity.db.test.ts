// The processor's sender-authenticity settings through the tRPC API (admin → router → service → Postgres).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../test/harness/api-client';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { SessionUser } from '../auth/session';
import { closeDb } from '../db/client';
import { resetEnvForTests } from '../env';
import { seedDefaults } from '../services/bootstrap';
import { createUser } from '../services/users';

let testDb: TestDatabase;
let admin: SessionUser;

const settings = {
  emailAddress: 'auth@example.com',
  name: 'Authenticity',
  active: true,
  host: 'mail.example.com',
  type: 'imap' as const,
  port: 993,
  useSsl: true,
  login: 'auth',
  autoReply: true,
  allowUntrustedCert: false,
};

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  await seedDefaults({ db: testDb.db, adminEmail: 'seed@example.com', adminPassword: 'seed-password-1' });
  const a = await createUser({ db: testDb.db, actor: null, input: { email: 'boss@example.com', name: 'Boss', role: 'admin', password: 'correct-horse-1' } });
  admin = { id: a.id, email: a.email, name: a.name, role: 'admin' };
});

afterAll(async () => {
  await closeDb();
  await testDb.drop();
});

type View = { id: string; authservId: string | null; dmarcFailNewContact: boolean; dmarcFailNoAutoReply: boolean; dmarcFailFlag: boolean };

describe('sender authenticity settings of a processor', () => {
  it('are off until an authserv-id is named, with the three DMARC actions on, and keep what the admin saves', async () => {
    const created = await callApi(admin, 'processors.create', { ...settings, password: 'mailbox-Pa55word!' });
    expect(created.status).toBe(200);
    const view = created.data as View;
    expect(view).toMatchObject({ authservId: null, dmarcFailNewContact: true, dmarcFailNoAutoReply: true, dmarcFailFlag: true });

    const updated = await callApi(admin, 'processors.update', {
      ...settings,
      id: view.id,
      authservId: ' mx.example.com ',
      dmarcFailNewContact: false,
      dmarcFailNoAutoReply: true,
      dmarcFailFlag: false,
    });
    expect(updated.status).toBe(200);
    expect(updated.data).toMatchObject({ authservId: 'mx.example.com', dmarcFailNewContact: false, dmarcFailNoAutoReply: true, dmarcFailFlag: false });

    const cleared = await callApi(admin, 'processors.update', { ...settings, id: view.id, authservId: '' });
    expect((cleared.data as View).authservId).toBeNull();
  });

  it('refuses an authserv-id with spaces or a semicolon, on that field', async () => {
    const refused = await callApi(admin, 'processors.create', { ...settings, emailAddress: 'other@example.com', password: 'mailbox-Pa55word!', authservId: 'mx.example.com; dmarc=pass' });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused)).toContain('Authentication-Results');
  });
});
