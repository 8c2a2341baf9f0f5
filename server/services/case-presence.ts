// Who is viewing a case and who is writing on it, as rows in case_presence (one per browser tab's
// socket), shared by every web instance. Each change NOTIFYs PRESENCE_CHANNEL with the case id on
// commit; every instance LISTENs, reads the case's rows and tells its own sockets in that case's room
// (server/realtime/presence.ts). Rows end with their socket (disconnect), and lapse at expires_at when
// the instance that held them died: each instance renews its rows every PRESENCE_HEARTBEAT_MS.
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { casePresence, cases, users } from '../db/schema';
import type { ComposerMode } from './case-drafts';

export const PRESENCE_CHANNEL = 'leopard_presence';
/** How long a row lives without its instance renewing it (an instance that crashed). */
export const PRESENCE_TTL_MS = 60_000;
/** How often an instance renews its rows and sweeps lapsed ones. */
export const PRESENCE_HEARTBEAT_MS = 20_000;
/** A keystroke counts as "typing" this long; the browser sends one at most every few seconds while typing. */
export const TYPING_TTL_MS = 8_000;

export type CaseViewer = {
  userId: string;
  name: string;
  /** What this person is writing right now, if anything. */
  typing: ComposerMode | null;
  /** How much longer the last keystroke counts as typing (ms), so a browser can let it lapse itself. */
  typingMsLeft: number;
};

export type CasePresence = { caseId: string; viewers: CaseViewer[] };

async function notify(db: DbOrTx, caseIds: string[]) {
  for (const caseId of new Set(caseIds)) await db.execute(sql`select pg_notify(${PRESENCE_CHANNEL}, ${caseId})`);
}

const ttl = (ms: number) => sql`now() + make_interval(secs => ${ms / 1000})`;

export type JoinPresenceOptions = { db: DbOrTx; socketId: string; caseId: string; userId: string };

/** The socket views this case (and no other: a tab shows one case at a time). */
export async function joinCasePresence({ db, socketId, caseId, userId }: JoinPresenceOptions): Promise<boolean> {
  const [exists] = await db.select({ id: cases.id }).from(cases).where(eq(cases.id, caseId));
  if (!exists) return false;
  const [before] = await db.select({ caseId: casePresence.caseId }).from(casePresence).where(eq(casePresence.socketId, socketId));
  await db
    .insert(casePresence)
    .values({ socketId, caseId, userId, expiresAt: ttl(PRESENCE_TTL_MS) })
    .onConflictDoUpdate({
      target: casePresence.socketId,
      set: { caseId, userId, typingMode: null, typingUntil: null, since: sql`now()`, expiresAt: ttl(PRESENCE_TTL_MS) },
    });
  await notify(db, before && before.caseId !== caseId ? [before.caseId, caseId] : [caseId]);
  return true;
}

export type SetTypingOptions = { db: DbOrTx; socketId: string; caseId: string; typing: ComposerMode | null };

export async function setCaseTyping({ db, socketId, caseId, typing }: SetTypingOptions): Promise<void> {
  const updated = await db
    .update(casePresence)
    .set(typing ? { typingMode: typing, typingUntil: ttl(TYPING_TTL_MS) } : { typingMode: null, typingUntil: null })
    .where(and(eq(casePresence.socketId, socketId), eq(casePresence.caseId, caseId)))
    .returning({ caseId: casePresence.caseId });
  await notify(db, updated.map((r) => r.caseId));
}

export type LeavePresenceOptions = { db: DbOrTx; socketIds: string[] };

/** The sockets left (a tab closed, the page changed, the connection dropped). */
export async function leaveCasePresence({ db, socketIds }: LeavePresenceOptions): Promise<void> {
  if (socketIds.length === 0) return;
  const gone = await db.delete(casePresence).where(inArray(casePresence.socketId, socketIds)).returning({ caseId: casePresence.caseId });
  await notify(db, gone.map((r) => r.caseId));
}

export type RenewPresenceOptions = { db: DbOrTx; socketIds: string[] };

/** An instance's heartbeat: its live sockets' rows live on; rows no instance renewed are removed. */
export async function renewCasePresence({ db, socketIds }: RenewPresenceOptions): Promise<void> {
  if (socketIds.length > 0) {
    await db.update(casePresence).set({ expiresAt: ttl(PRESENCE_TTL_MS) }).where(inArray(casePresence.socketId, socketIds));
  }
  const lapsed = await db.delete(casePresence).where(lt(casePresence.expiresAt, sql`now()`)).returning({ caseId: casePresence.caseId });
  await notify(db, lapsed.map((r) => r.caseId));
}

export type ListPresenceOptions = { db: DbOrTx; caseId: string };

/** Everyone on the case now, one entry per person (several tabs of one agent count once). */
export async function listCasePresence({ db, caseId }: ListPresenceOptions): Promise<CasePresence> {
  const rows = await db
    .select({
      userId: casePresence.userId,
      name: users.name,
      typingMode: casePresence.typingMode,
      typingMsLeft: sql<number>`greatest(0, floor(extract(epoch from (${casePresence.typingUntil} - now())) * 1000))::int`,
    })
    .from(casePresence)
    .innerJoin(users, eq(users.id, casePresence.userId))
    .where(and(eq(casePresence.caseId, caseId), sql`${casePresence.expiresAt} > now()`))
    .orderBy(asc(casePresence.since), asc(casePresence.socketId));
  const byUser = new Map<string, CaseViewer>();
  for (const row of rows) {
    const typing = row.typingMode && (row.typingMsLeft ?? 0) > 0 ? row.typingMode : null;
    const seen = byUser.get(row.userId);
    const viewer: CaseViewer = { userId: row.userId, name: row.name, typing, typingMsLeft: typing ? row.typingMsLeft : 0 };
    if (!seen) byUser.set(row.userId, viewer);
    // One person typing in any of their tabs is typing; a reply wins over a note.
    else if (typing && (!seen.typing || (seen.typing === 'note' && typing === 'reply') || viewer.typingMsLeft > seen.typingMsLeft)) {
      byUser.set(row.userId, { ...seen, typing, typingMsLeft: viewer.typingMsLeft });
    }
  }
  return { caseId, viewers: [...byUser.values()] };
}
