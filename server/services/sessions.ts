// Sessions: one `user_sessions` row per signed-in browser. The session cookie is next-auth's JWT
// naming its row (`sid`); a request is accepted only while that row exists and is younger than
// SESSION_MAX_AGE_MS. Ending a session deletes its row and sends a NOTIFY in the same transaction,
// so on commit every web instance closes that session's live sockets (server/realtime/socket-server.ts).
import { and, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Role, SessionUser } from '../auth/session';
import type { DbOrTx } from '../db/client';
import { users, userSessions } from '../db/schema';

/** A session lasts at most this long after sign-in, however active it is. */
export const SESSION_MAX_AGE_MS = 12 * 60 * 60 * 1000;

export const SESSIONS_ENDED_CHANNEL = 'leopard_sessions_ended';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The NOTIFY payload: one session ended (sign-out), or all of a user's sessions. */
export type SessionsEnded = { sessionId: string } | { userId: string };

function oldestLiveStart(now: Date): Date {
  return new Date(now.getTime() - SESSION_MAX_AGE_MS);
}

export type StartSessionOptions = { db: DbOrTx; userId: string; now?: Date };

/** A new session for a user who just signed in; their expired rows go at the same time. */
export async function startSession({ db, userId, now = new Date() }: StartSessionOptions): Promise<string> {
  await db.delete(userSessions).where(and(eq(userSessions.userId, userId), lte(userSessions.createdAt, oldestLiveStart(now))));
  const [row] = await db.insert(userSessions).values({ userId, createdAt: now }).returning({ id: userSessions.id });
  return row.id;
}

async function notifyEnded(db: DbOrTx, ended: SessionsEnded): Promise<void> {
  await db.execute(sql`select pg_notify(${SESSIONS_ENDED_CHANNEL}, ${JSON.stringify(ended)})`);
}

/** Signing out: this session only; the user's other browsers stay signed in. */
export async function endSession({ db, sessionId }: { db: DbOrTx; sessionId: string }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(userSessions).where(eq(userSessions.id, sessionId));
    await notifyEnded(tx, { sessionId });
  });
}

/** A password reset, deactivation or role change: every session of that user. */
export async function endUserSessions({ db, userId }: { db: DbOrTx; userId: string }): Promise<void> {
  await db.delete(userSessions).where(eq(userSessions.userId, userId));
  await notifyEnded(db, { userId });
}

export type FindSessionUserOptions = { db: DbOrTx; sessionId: string; userId: string; now?: Date };

/** The signed-in user of a live session, or null when it ended, expired, or the user is inactive. */
export async function findSessionUser({ db, sessionId, userId, now = new Date() }: FindSessionUserOptions): Promise<SessionUser | null> {
  if (!UUID.test(sessionId) || !UUID.test(userId)) return null;
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(
      and(
        eq(userSessions.id, sessionId),
        eq(userSessions.userId, userId),
        gt(userSessions.createdAt, oldestLiveStart(now)),
        eq(users.active, true),
      ),
    );
  return row ? { ...row, role: row.role as Role } : null;
}

/** Of these session ids, the ones still live (for re-checking open sockets). */
export async function liveSessionIds({ db, sessionIds, now = new Date() }: { db: DbOrTx; sessionIds: string[]; now?: Date }): Promise<Set<string>> {
  if (sessionIds.length === 0) return new Set();
  const rows = await db
    .select({ id: userSessions.id })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(and(inArray(userSessions.id, sessionIds), gt(userSessions.createdAt, oldestLiveStart(now)), eq(users.active, true)));
  return new Set(rows.map((r) => r.id));
}
