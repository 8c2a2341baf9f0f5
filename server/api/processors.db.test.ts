import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../test/harness/api-client';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { SessionUser } from '../auth/session';
import { closeDb } from '../db/client';
import { auditLog, emailProcessors } from '../db/schema';
import { env, resetEnvForTests } from '../env';
import { open } from '../crypto/secret-box';
import { seedDefaults } from '../services/bootstrap';
import { createUser } from '../services/users';

let testDb: TestDatabase;
let admin: SessionUser;

const PASSWORD = 'mailbox-Pa55word!';
const settings = {
  emailAddress: 'support@example.com',
  name: 'Support',
  active: true,
  host: 'mail.example.com',
  type: 'imap' as const,
  port: 993,
  useSsl: true,
  login: 'support',
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

async function storedCiphertext(id: string) {
  const [row] = await testDb.db.select({ c: emailProcessors.passwordCiphertext }).from(emailProcessors).where(eq(emailProcessors.id, id));
  return row.c!;
}

describe('email processors admin', () => {
  let processorId: string;

  it('creates a processor that needs a filter and stores the password encrypted', async () => {
    const created = await callApi(admin, 'processors.create', { ...settings, password: PASSWORD });
    expect(created.status).toBe(200);
    const view = created.data as { id: string; state: { kind: string } };
    processorId = view.id;
    expect(view.state.kind).toBe('needs_filter');
    const ciphertext = await storedCiphertext(processorId);
    expect(ciphertext).not.toContain(PASSWORD);
    expect(open(ciphertext, env().secretKey)).toBe(PASSWORD);
  });

  it('never returns the password or its ciphertext from any processor procedure', async () => {
    const ciphertext = await storedCiphertext(processorId);
    const outputs = [
      await callApi(admin, 'processors.list'),
      await callApi(admin, 'processors.get', { id: processorId }),
      await callApi(admin, 'processors.update', { ...settings, id: processorId, name: 'Support desk' }),
      await callApi(admin, 'audit.list', { limit: 50 }),
    ];
    for (const output of outputs) {
      expect(output.status).toBe(200);
      const text = JSON.stringify(output.body);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(ciphertext);
      expect(text).not.toMatch(/passwordCiphertext/);
    }
  });

  it('keeps the stored password when an edit leaves it empty, and replaces it when one is typed', async () => {
    const before = await storedCiphertext(processorId);
    await callApi(admin, 'processors.update', { ...settings, id: processorId, password: '' });
    expect(await storedCiphertext(processorId)).toBe(before);
    await callApi(admin, 'processors.update', { ...settings, id: processorId, password: 'new-secret-2' });
    expect(open(await storedCiphertext(processorId), env().secretKey)).toBe('new-secret-2');
  });

  it('reports each invalid field with its own message', async () => {
    const response = await callApi(admin, 'processors.create', {
      ...settings,
      emailAddress: 'nope',
      host: 'bad host',
      port: 70000,
      password: '',
    });
    expect(response.status).toBe(400);
    const fieldErrors = response.error?.data.fieldErrors as Record<string, string>;
    expect(Object.keys(fieldErrors).sort()).toEqual(['emailAddress', 'host', 'password', 'port']);
    expect(fieldErrors.port).toBe('Ports run from 1 to 65535.');
  });

  it('refuses a second processor for the same mailbox on the address field', async () => {
    const response = await callApi(admin, 'processors.create', { ...settings, emailAddress: 'SUPPORT@example.com', password: 'x' });
    expect(response.status).toBe(409);
    expect(response.error?.data.fieldErrors).toEqual({ emailAddress: 'Another processor already reads this mailbox.' });
  });

  it('becomes runnable after a default filter is added, and inactive when deactivated', async () => {
    const filter = await callApi(admin, 'filters.create', {
      processorId,
      matchField: null,
      headerName: null,
      matchRule: null,
      matchValue: null,
      priority: 10,
      stopFiltering: false,
      caseTypeId: null,
      casePriorityId: null,
      assignedToId: admin.id,
      managedById: null,
    });
    expect(filter.status).toBe(200);
    const after = await callApi(admin, 'processors.get', { id: processorId });
    expect((after.data as { state: { kind: string } }).state.kind).toBe('connecting');
    await callApi(admin, 'processors.setActive', { id: processorId, active: false });
    const off = await callApi(admin, 'processors.get', { id: processorId });
    expect((off.data as { state: { kind: string } }).state.kind).toBe('inactive');
  });

  it('refuses a filter whose regular expression does not compile, on the value field', async () => {
    const response = await callApi(admin, 'filters.create', {
      processorId,
      matchField: 'subject',
      headerName: null,
      matchRule: 'regex',
      matchValue: '(unclosed',
      priority: 20,
      stopFiltering: false,
      caseTypeId: null,
      casePriorityId: null,
      assignedToId: null,
      managedById: null,
    });
    expect(response.status).toBe(400);
    expect(Object.keys(response.error?.data.fieldErrors as object)).toEqual(['matchValue']);
  });

  it('audits processor changes without the password', async () => {
    const entries = await testDb.db.select().from(auditLog).where(eq(auditLog.entityId, processorId));
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['processor.created', 'processor.updated', 'processor.deactivated']),
    );
    expect(JSON.stringify(entries)).not.toContain(PASSWORD);
    expect(entries.find((e) => e.action === 'processor.created')?.actorEmail).toBe('boss@example.com');
  });
});
