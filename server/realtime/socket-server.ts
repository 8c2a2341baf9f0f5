// Socket.IO on the web server's port. A socket is accepted only with a valid session cookie;
// every signed-in user joins the agents room and may watch single cases. Events come from
// Postgres LISTEN, so whichever process committed a change, every web instance hears it.
import type { Server as HttpServer } from 'node:http';
import type postgres from 'postgres';
import { Server } from 'socket.io';
import { sessionUserFromCookies } from '../auth/session';
import type { Logger } from '../log';
import { AGENTS_ROOM, caseRoom, decodeCaseEvent, EVENTS_CHANNEL } from './events';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function attachRealtime(httpServer: HttpServer, sql: postgres.Sql, log: Logger) {
  const io = new Server(httpServer, { path: '/socket.io', serveClient: false });

  io.use(async (socket, next) => {
    try {
      const user = await sessionUserFromCookies(socket.handshake.headers.cookie);
      if (!user) return next(new Error('unauthorized'));
      socket.data.user = user;
      next();
    } catch (err) {
      log.error({ err }, 'socket session check failed');
      next(new Error('unavailable'));
    }
  });

  io.on('connection', (socket) => {
    socket.join(AGENTS_ROOM);
    socket.on('case.watch', (caseId: unknown) => {
      if (typeof caseId === 'string' && UUID.test(caseId)) socket.join(caseRoom(caseId));
    });
    socket.on('case.unwatch', (caseId: unknown) => {
      if (typeof caseId === 'string') socket.leave(caseRoom(caseId));
    });
  });

  const listener = await sql.listen(EVENTS_CHANNEL, (payload) => {
    const event = decodeCaseEvent(payload);
    if (!event) return;
    io.to(AGENTS_ROOM).emit(event.type, event);
  });

  return {
    io,
    async close() {
      await listener.unlisten();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
