// Socket.IO on the web server's port. A socket is accepted only with a live session cookie;
// every signed-in user joins the agents room; a case page's room is joined through presence (presence.ts). Events come from
// Postgres LISTEN, so whichever process committed a change, every web instance hears it.
// A socket lives no longer than its session: when sessions end (sign-out, password reset,
// deactivation, demotion) a NOTIFY on commit closes their sockets on every instance, and every
// SESSION_RECHECK_MS the open sockets' sessions are checked again, for expiry and for a NOTIFY
// missed while the LISTEN connection was down.
import type { Server as HttpServer } from 'node:http';
import type postgres from 'postgres';
import { Server } from 'socket.io';
import { sessionFromCookies } from '../auth/session';
import { db } from '../db/client';
import type { Logger } from '../log';
import { liveSessionIds, SESSIONS_ENDED_CHANNEL, type SessionsEnded } from '../services/sessions';
import { AGENTS_ROOM, decodeCaseEvent, EVENTS_CHANNEL } from './events';
import { attachPresence } from './presence';

/** The safety net under the sessions-ended NOTIFY; also ends sockets whose session expired. */
export const SESSION_RECHECK_MS = 30_000;

const sessionRoom = (sessionId: string) => `session:${sessionId}`;
const userRoom = (userId: string) => `user:${userId}`;

function decodeSessionsEnded(payload: string): SessionsEnded | null {
  try {
    const parsed = JSON.parse(payload) as Record<string, unknown>;
    if (typeof parsed.sessionId === 'string') return { sessionId: parsed.sessionId };
    if (typeof parsed.userId === 'string') return { userId: parsed.userId };
  } catch {
    // not ours
  }
  return null;
}

export type AttachRealtimeOptions = { recheckMs?: number };

export async function attachRealtime(
  httpServer: HttpServer,
  sql: postgres.Sql,
  log: Logger,
  { recheckMs = SESSION_RECHECK_MS }: AttachRealtimeOptions = {},
) {
  const io = new Server(httpServer, { path: '/socket.io', serveClient: false });

  io.use(async (socket, next) => {
    try {
      const session = await sessionFromCookies(socket.handshake.headers.cookie);
      if (!session) return next(new Error('unauthorized'));
      socket.data.user = session.user;
      socket.data.sessionId = session.sessionId;
      next();
    } catch (err) {
      log.error({ err }, 'socket session check failed');
      next(new Error('unavailable'));
    }
  });

  io.on('connection', (socket) => {
    socket.join([AGENTS_ROOM, sessionRoom(socket.data.sessionId), userRoom(socket.data.user.id)]);
  });

  // Who views and who writes on a case (collision notice), shared across web instances through Postgres.
  const presence = await attachPresence(io, sql, log);

  const events = await sql.listen(EVENTS_CHANNEL, (payload) => {
    const event = decodeCaseEvent(payload);
    if (!event) return;
    io.to(AGENTS_ROOM).emit(event.type, event);
  });

  // `disconnectSockets(true)`: the client sees "io server disconnect" and does not reconnect by itself.
  const sessionsEnded = await sql.listen(SESSIONS_ENDED_CHANNEL, (payload) => {
    const ended = decodeSessionsEnded(payload);
    if (!ended) return;
    io.in('sessionId' in ended ? sessionRoom(ended.sessionId) : userRoom(ended.userId)).disconnectSockets(true);
  });

  async function recheckSessions() {
    const sockets = [...io.of('/').sockets.values()];
    if (sockets.length === 0) return;
    const live = await liveSessionIds({ db: db(), sessionIds: [...new Set(sockets.map((s) => s.data.sessionId as string))] });
    for (const socket of sockets) if (!live.has(socket.data.sessionId)) socket.disconnect(true);
  }
  const recheck = setInterval(() => {
    recheckSessions().catch((err: unknown) => log.warn({ err }, 'socket session re-check failed'));
  }, recheckMs);
  recheck.unref();

  return {
    io,
    async close() {
      clearInterval(recheck);
      await presence.close();
      await events.unlisten();
      await sessionsEnded.unlisten();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
