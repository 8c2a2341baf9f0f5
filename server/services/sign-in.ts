// Checks a sign-in attempt against the throttle and the stored argon2 hash.
// The throttle is counted before the password is checked: one transaction takes an attempt from
// every counter the attempt belongs to (one atomic upsert per key, keys in a fixed order) and is
// rolled back if any counter is used up, so no number of parallel requests gets more checks than
// the policy allows (server/auth/throttle-policy.ts). Every attempt that passes the throttle runs
// one argon2 verify, against a dummy hash when the account does not exist, so a wrong password
// takes as long for an unknown account as for a real one.
import { eq, sql } from 'drizzle-orm';
import { dummyPasswordHash, verifyPassword } from '../auth/password';
import type { SessionUser } from '../auth/session';
import {
  type AttemptClient,
  lockoutMessage,
  MAX_FAILURES,
  THROTTLE_LOCK_MS,
  THROTTLE_WINDOW_MS,
  type ThrottleKey,
  throttleKeysFor,
} from '../auth/throttle-policy';
import type { Database, Transaction } from '../db/client';
import { signInThrottle, users } from '../db/schema';
import { AppError } from '../errors';

export type AuthenticateOptions = AttemptClient & {
  db: Database;
  password: string;
  now?: Date;
  /** The hash check; a test passes a counting wrapper around the real one. */
  checkPassword?: (hash: string, password: string) => Promise<boolean>;
};

/**
 * Counts one attempt against a key and returns the count and lock. A key starts counting afresh
 * when its lock has ended or, unlocked, when its window has passed; the attempt that reaches the
 * limit starts the lock. The row lock of the upsert serialises parallel attempts on one key.
 */
async function countAttempt(tx: Transaction, { kind, key }: ThrottleKey, now: Date) {
  const max = MAX_FAILURES[kind];
  // drizzle passes a Date inside sql`` as its toString(): give Postgres an ISO timestamp.
  const at = (ms: number) => sql`${new Date(now.getTime() + ms).toISOString()}::timestamptz`;
  const [windowStart, lockEnd, nowAt] = [at(-THROTTLE_WINDOW_MS), at(THROTTLE_LOCK_MS), at(0)];
  const t = signInThrottle;
  const fresh = sql`((${t.lockedUntil} is not null and ${t.lockedUntil} <= ${nowAt}) or (${t.lockedUntil} is null and ${t.windowStartedAt} <= ${windowStart}))`;
  const [row] = await tx
    .insert(t)
    // Every limit is above 1, so a first attempt never locks.
    .values({ key, failures: 1, windowStartedAt: now, lockedUntil: null })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        failures: sql`case when ${fresh} then 1 else ${t.failures} + 1 end`,
        windowStartedAt: sql`case when ${fresh} then ${nowAt} else ${t.windowStartedAt} end`,
        lockedUntil: sql`case
          when ${fresh} then null
          when ${t.failures} + 1 = ${max} then ${lockEnd}
          else ${t.lockedUntil} end`,
      },
    })
    .returning({ failures: t.failures, lockedUntil: t.lockedUntil });
  return row;
}

async function takeAttempt(db: Database, keys: ThrottleKey[], now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    for (const key of keys) {
      const { failures, lockedUntil } = await countAttempt(tx, key, now);
      if (failures > MAX_FAILURES[key.kind]) {
        const waitMs = lockedUntil ? lockedUntil.getTime() - now.getTime() : THROTTLE_LOCK_MS;
        // Rolls back this attempt's counts: a refused attempt was not checked and costs nothing.
        throw new AppError('TOO_MANY_REQUESTS', lockoutMessage(key.kind, waitMs));
      }
    }
  });
}

/** After a success: the client's own counter starts again; the address gets its attempt back. */
async function forgiveAttempt(db: Database, keys: ThrottleKey[]): Promise<void> {
  const t = signInThrottle;
  await db.transaction(async (tx) => {
    for (const { kind, key } of keys) {
      if (kind === 'address') {
        await tx
          .update(t)
          .set({
            failures: sql`greatest(${t.failures} - 1, 0)`,
            lockedUntil: sql`case when ${t.failures} - 1 < ${MAX_FAILURES.address} then null else ${t.lockedUntil} end`,
          })
          .where(eq(t.key, key));
      } else {
        await tx.delete(t).where(eq(t.key, key));
      }
    }
  });
}

export async function authenticate({
  db,
  email,
  password,
  address,
  deviceId,
  now = new Date(),
  checkPassword = verifyPassword,
}: AuthenticateOptions): Promise<SessionUser> {
  const keys = throttleKeysFor({ email, address, deviceId });
  await takeAttempt(db, keys, now);

  const [user] = await db.select().from(users).where(eq(sql`lower(${users.email})`, email.trim().toLowerCase()));
  const ok = await checkPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
  if (!user || !ok || !user.active) {
    // One message for unknown account, wrong password and deactivated account: no account probing.
    throw new AppError('UNAUTHORIZED', 'Wrong email or password.');
  }
  await forgiveAttempt(db, keys);
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}
