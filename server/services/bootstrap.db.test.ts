import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { verifyPassword } from '../auth/password';
import { casePriorities, caseTypes, users } from '../db/schema';
import { DEFAULT_CASE_PRIORITIES, DEFAULT_CASE_TYPES, seedDefaults } from './bootstrap';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(() => testDb.drop());

describe('first-start seeding', () => {
  it('creates an admin with a generated password that works, plus case types and priorities', async () => {
    const result = await seedDefaults({ db: testDb.db, adminEmail: 'Admin@Example.com' });
    const password = result.createdAdmin?.generatedPassword;
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    const [admin] = await testDb.db.select().from(users);
    expect(admin).toMatchObject({ email: 'admin@example.com', role: 'admin', active: true });
    expect(await verifyPassword(admin.passwordHash, password!)).toBe(true);
    expect((await testDb.db.select().from(caseTypes)).map((t) => t.name).sort()).toEqual([...DEFAULT_CASE_TYPES].sort());
    expect((await testDb.db.select().from(casePriorities)).map((p) => p.name).sort()).toEqual([...DEFAULT_CASE_PRIORITIES].sort());
  });

  it('changes nothing on later starts, even when two run at once', async () => {
    const results = await Promise.all([
      seedDefaults({ db: testDb.db, adminEmail: 'admin@example.com', adminPassword: 'another-password' }),
      seedDefaults({ db: testDb.db, adminEmail: 'second@example.com' }),
    ]);
    expect(results).toEqual([{}, {}]);
    expect(await testDb.db.select().from(users)).toHaveLength(1);
    expect(await testDb.db.select().from(caseTypes)).toHaveLength(DEFAULT_CASE_TYPES.length);
  });
});
