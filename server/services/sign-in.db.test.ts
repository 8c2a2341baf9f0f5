import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { dummyPasswordHash, verifyPassword } from '../auth/password';
import { MAX_FAILURES, THROTTLE_LOCK_MS } from '../auth/throttle-policy';
import { users } from '../db/schema';
import { authenticate } from './sign-in';
import { createUser, updateUser } from './users';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  await createUser({ db: testDb.db, actor: null, input: { email: 'Jane@Example.com', name: 'Jane', role: 'agent', password: 'jane-secret-1' } });
});

afterAll(() => testDb.drop());

/** The real argon2 check, counting the hashes it was asked about. */
function countingCheck() {
  const hashes: string[] = [];
  return {
    hashes,
    check: (hash: string, password: string) => {
      hashes.push(hash);
      return verifyPassword(hash, password);
    },
  };
}

async function outcome(attempt: Promise<unknown>): Promise<string> {
  return attempt.then(
    () => 'signed in',
    (err: Error) => err.message,
  );
}

describe('signing in', () => {
  it('accepts the right password whatever the case of the email', async () => {
    const user = await authenticate({ db: testDb.db, email: 'JANE@example.COM', password: 'jane-secret-1', address: '10.0.0.1' });
    expect(user).toMatchObject({ email: 'jane@example.com', role: 'agent' });
  });

  it('gives one message for an unknown account and a wrong password', async () => {
    await expect(authenticate({ db: testDb.db, email: 'nobody@example.com', password: 'x', address: '10.0.0.2' })).rejects.toThrow('Wrong email or password.');
    await expect(authenticate({ db: testDb.db, email: 'jane@example.com', password: 'nope', address: '10.0.0.2' })).rejects.toThrow('Wrong email or password.');
  });

  it('checks at most 5 of 30 parallel wrong passwords for one account from 3 addresses', async () => {
    await createUser({ db: testDb.db, actor: null, input: { email: 'race@example.com', name: 'R', role: 'admin', password: 'race-secret-1' } });
    const counter = countingCheck();
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        outcome(
          authenticate({
            db: testDb.db,
            email: 'race@example.com',
            password: `guess-${i}`,
            address: `198.51.100.${i % 3}`,
            checkPassword: counter.check,
          }),
        ),
      ),
    );
    const checkedAnswers = outcomes.filter((o) => o === 'Wrong email or password.').length;
    expect(counter.hashes.length).toBe(checkedAnswers);
    expect(checkedAnswers).toBe(MAX_FAILURES.account);
    expect(outcomes.filter((o) => o.startsWith('Too many failed sign-ins to this account.'))).toHaveLength(30 - MAX_FAILURES.account);
  });

  it('checks a wrong password for an unknown account against a hash, as for a real account', async () => {
    const counter = countingCheck();
    await expect(
      authenticate({ db: testDb.db, email: 'ghost@example.com', password: 'x', address: '10.0.0.3', checkPassword: counter.check }),
    ).rejects.toThrow('Wrong email or password.');
    expect(counter.hashes).toEqual([await dummyPasswordHash()]);
    // The same cost as a stored hash: the same algorithm, version, memory, time and parallelism.
    const [jane] = await testDb.db.select().from(users).where(eq(users.email, 'jane@example.com'));
    const settings = (hash: string) => hash.split('$').slice(0, 4).join('$');
    expect(settings(counter.hashes[0])).toBe(settings(jane.passwordHash));
  });

  it('does not let strangers lock the owner out of a browser they signed in from before', async () => {
    const now = new Date('2030-06-01T12:00:00Z');
    await createUser({ db: testDb.db, actor: null, input: { email: 'owner@example.com', name: 'O', role: 'admin', password: 'owner-secret-1' } });
    const ownersBrowser = 'owner-browser-device-id';
    for (let i = 0; i < 8; i++) {
      await authenticate({ db: testDb.db, email: 'owner@example.com', password: 'bad', address: `203.0.113.${i}`, now }).catch(() => {});
    }
    // A new browser, even with the right password, waits for the lock to end and is told when.
    await expect(
      authenticate({ db: testDb.db, email: 'owner@example.com', password: 'owner-secret-1', address: '10.2.0.1', now }),
    ).rejects.toThrow(
      'Too many failed sign-ins to this account. Try again in 15 minutes, or sign in from a browser you have signed in from before.',
    );
    await expect(
      authenticate({ db: testDb.db, email: 'owner@example.com', password: 'owner-secret-1', address: '203.0.113.1', deviceId: ownersBrowser, now }),
    ).resolves.toMatchObject({ email: 'owner@example.com' });
  });

  it('limits a proven browser on its own', async () => {
    const now = new Date('2030-07-01T12:00:00Z');
    await createUser({ db: testDb.db, actor: null, input: { email: 'device@example.com', name: 'D', role: 'agent', password: 'device-secret-1' } });
    for (let i = 0; i < MAX_FAILURES.device; i++) {
      await expect(
        authenticate({ db: testDb.db, email: 'device@example.com', password: 'bad', address: '10.3.0.1', deviceId: 'stolen-device', now }),
      ).rejects.toThrow('Wrong email or password.');
    }
    await expect(
      authenticate({ db: testDb.db, email: 'device@example.com', password: 'device-secret-1', address: '10.3.0.1', deviceId: 'stolen-device', now }),
    ).rejects.toThrow('Too many failed sign-ins from this browser. Try again in 15 minutes.');
    // The device's guesses did not lock the account for anyone else.
    await expect(
      authenticate({ db: testDb.db, email: 'device@example.com', password: 'device-secret-1', address: '10.3.0.2', now }),
    ).resolves.toBeTruthy();
  });

  it('locks an account for new browsers after repeated failures, even with the right password, until the lock ends', async () => {
    const now = new Date('2030-01-01T12:00:00Z');
    await createUser({ db: testDb.db, actor: null, input: { email: 'locked@example.com', name: 'L', role: 'agent', password: 'locked-secret-1' } });
    for (let i = 0; i < MAX_FAILURES.account; i++) {
      await expect(authenticate({ db: testDb.db, email: 'locked@example.com', password: 'bad', address: `10.1.0.${i}`, now })).rejects.toThrow();
    }
    await expect(
      authenticate({ db: testDb.db, email: 'locked@example.com', password: 'locked-secret-1', address: '10.1.1.1', now }),
    ).rejects.toThrow(/Too many failed sign-ins to this account. Try again in 15 minutes/);
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
    ).rejects.toThrow('Too many failed sign-ins from your network. Try again in 15 minutes.');
    await expect(
      authenticate({ db: testDb.db, email: 'jane@example.com', password: 'jane-secret-1', address: '192.0.2.10', now }),
    ).resolves.toBeTruthy();
  });

  it('does not count successful sign-ins against an address', async () => {
    const now = new Date('2032-01-01T12:00:00Z');
    for (let i = 0; i < MAX_FAILURES.address + 5; i++) {
      await authenticate({ db: testDb.db, email: 'jane@example.com', password: 'jane-secret-1', address: '192.0.2.50', now });
    }
    await expect(
      authenticate({ db: testDb.db, email: 'nobody@example.com', password: 'x', address: '192.0.2.50', now }),
    ).rejects.toThrow('Wrong email or password.');
  });

  it('refuses a deactivated user', async () => {
    const user = await createUser({ db: testDb.db, actor: null, input: { email: 'gone@example.com', name: 'G', role: 'admin', password: 'gone-secret-1' } });
    await createUser({ db: testDb.db, actor: null, input: { email: 'other-admin@example.com', name: 'O', role: 'admin', password: 'other-secret-1' } });
    await updateUser({ db: testDb.db, actor: { id: user.id, email: user.email }, input: { id: user.id, active: false } });
    await expect(authenticate({ db: testDb.db, email: 'gone@example.com', password: 'gone-secret-1', address: '10.9.9.9' })).rejects.toThrow('Wrong email or password.');
  });
});
