import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { MAX_FAILURES, THROTTLE_LOCK_MS } from '../auth/throttle-policy';
import { authenticate } from './sign-in';
import { createUser, updateUser } from './users';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  await createUser({ db: testDb.db, actor: null, input: { email: 'Jane@Example.com', name: 'Jane', role: 'agent', password: 'jane-secret-1' } });
});

afterAll(() => testDb.drop());

describe('signing in', () => {
  it('accepts the right password whatever the case of the email', async () => {
    const user = await authenticate({ db: testDb.db, email: 'JANE@example.COM', password: 'jane-secret-1', address: '10.0.0.1' });
    expect(user).toMatchObject({ email: 'jane@example.com', role: 'agent' });
  });

  it('gives one message for an unknown account and a wrong password', async () => {
    await expect(authenticate({ db: testDb.db, email: 'nobody@example.com', password: 'x', address: '10.0.0.2' })).rejects.toThrow('Wrong email or password.');
    await expect(authenticate({ db: testDb.db, email: 'jane@example.com', password: 'nope', address: '10.0.0.2' })).rejects.toThrow('Wrong email or password.');
  });

  it('locks an account after repeated failures, even with the right password, until the lock ends', async () => {
    const now = new Date('2030-01-01T12:00:00Z');
    await createUser({ db: testDb.db, actor: null, input: { email: 'locked@example.com', name: 'L', role: 'agent', password: 'locked-secret-1' } });
    for (let i = 0; i < MAX_FAILURES.account; i++) {
      await expect(authenticate({ db: testDb.db, email: 'locked@example.com', password: 'bad', address: `10.1.0.${i}`, now })).rejects.toThrow();
    }
    await expect(
      authenticate({ db: testDb.db, email: 'locked@example.com', password: 'locked-secret-1', address: '10.1.1.1', now }),
    ).rejects.toThrow(/Too many failed sign-ins. Try again in 15 minutes/);
    const afterLock = new Date(now.getTime() + THROTTLE_LOCK_MS + 1);
    await expect(
      authenticate({ db: testDb.db, email: 'locked@example.com', password: 'locked-secret-1', address: '10.1.1.1', now: afterLock }),
    ).resolves.toMatchObject({ email: 'locked@example.com' });
  });

  it('locks an address that tries many accounts', async () => {
    const now = new Date('2031-01-01T12:00:00Z');
    for (let i = 0; i < MAX_FAILURES.address; i++) {
      await authenticate({ db: testDb.db, email: `guess${i}@example.com`, password: 'x', address: '192.0.2.9', now }).catch(() => {});
    }
    await expect(
      authenticate({ db: testDb.db, email: 'jane@example.com', password: 'jane-secret-1', address: '192.0.2.9', now }),
    ).rejects.toThrow(/Too many failed sign-ins/);
    await expect(
      authenticate({ db: testDb.db, email: 'jane@example.com', password: 'jane-secret-1', address: '192.0.2.10', now }),
    ).resolves.toBeTruthy();
  });

  it('refuses a deactivated user', async () => {
    const user = await createUser({ db: testDb.db, actor: null, input: { email: 'gone@example.com', name: 'G', role: 'admin', password: 'gone-secret-1' } });
    await createUser({ db: testDb.db, actor: null, input: { email: 'other-admin@example.com', name: 'O', role: 'admin', password: 'other-secret-1' } });
    await updateUser({ db: testDb.db, actor: { id: user.id, email: user.email }, input: { id: user.id, active: false } });
    await expect(authenticate({ db: testDb.db, email: 'gone@example.com', password: 'gone-secret-1', address: '10.9.9.9' })).rejects.toThrow('Wrong email or password.');
  });
});
