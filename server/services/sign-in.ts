// Checks a sign-in attempt against the throttle and the stored argon2 hash.
import { eq, inArray, sql } from 'drizzle-orm';
import {
  lockRemainingMs,
  recordFailure,
  type ThrottleKind,
  throttleKey,
  type ThrottleState,
} from '../auth/throttle-policy';
import { verifyPassword } from '../auth/password';
import type { SessionUser } from '../auth/session';
import type { Database } from '../db/client';
import { signInThrottle, users } from '../db/schema';
import { AppError } from '../errors';

export type AuthenticateOptions = { db: Database; email: string; password: string; address: string; now?: Date };

export async function authenticate({ db, email, password, address, now = new Date() }: AuthenticateOptions): Promise<SessionUser> {
  const keys: Array<[ThrottleKind, string]> = [
    ['account', throttleKey('account', email)],
    ['address', throttleKey('address', address)],
  ];
  const rows = await db.select().from(signInThrottle).where(inArray(signInThrottle.key, keys.map(([, k]) => k)));
  const states = new Map<string, ThrottleState>(rows.map((r) => [r.key, r]));
  const waitMs = Math.max(...keys.map(([, k]) => lockRemainingMs(states.get(k), now)));
  if (waitMs > 0) {
    const minutes = Math.ceil(waitMs / 60_000);
    throw new AppError(
      'TOO_MANY_REQUESTS',
      `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    );
  }

  const [user] = await db.select().from(users).where(eq(sql`lower(${users.email})`, email.trim().toLowerCase()));
  const ok = user ? await verifyPassword(user.passwordHash, password) : false;
  if (!user || !ok || !user.active) {
    for (const [kind, key] of keys) {
      const next = recordFailure(kind, states.get(key), now);
      await db
        .insert(signInThrottle)
        .values({ key, ...next })
        .onConflictDoUpdate({ target: signInThrottle.key, set: next });
    }
    // One message for unknown account, wrong password and deactivated account: no account probing.
    throw new AppError('UNAUTHORIZED', 'Wrong email or password.');
  }
  await db.delete(signInThrottle).where(eq(signInThrottle.key, keys[0][1]));
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}
