// Collision notice over Socket.IO: who else views a case and who is writing a reply or a note on it.
// State lives in Postgres (server/services/case-presence.ts), not in this process, so agents connected
// to two different web instances see each other: a socket's join/typing/leave writes its row and
// NOTIFYs the case id; every instance LISTENs, and one with sockets in that case's room reads the case's
// rows and emits PRESENCE_EVENT to them. A closed tab ends its row at once (disconnect); a crashed
// browser when Socket.IO's ping times out; a crashed web instance when its rows lapse (PRESENCE_TTL_MS),
// swept by the heartbeat of any instance still running.
//
// Browser → server: 'presence.join' caseId, 'presence.typing' { caseId, mode: 'reply' | 'note' | null },
// 'presence.leave' caseId. Server → browser: 'presence' CasePresence.
import type postgres from 'postgres';
import type { Server, Socket } from 'socket.io';
import { db } from '../db/client';
import type { Logger } from '../log';
import {
  joinCasePresence,
  leaveCasePresence,
  listCasePresence,
  PRESENCE_CHANNEL,
  PRESENCE_HEARTBEAT_MS,
  renewCasePresence,
  setCaseTyping,
} from '../services/case-presence';
import { caseRoom } from './events';

export const PRESENCE_EVENT = 'presence';
/** A browser sends "typing" every few seconds while the agent types; more often is ignored. */
const TYPING_MIN_INTERVAL_MS = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isCaseId = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

export type AttachPresenceOptions = { heartbeatMs?: number };

export async function attachPresence(io: Server, sql: postgres.Sql, log: Logger, { heartbeatMs = PRESENCE_HEARTBEAT_MS }: AttachPresenceOptions = {}) {
  const fail = (what: string) => (err: unknown) => log.warn({ err }, `presence: ${what} failed`);

  // One read per case at a time; changes that arrive meanwhile are folded into one more read.
  const reading = new Map<string, boolean>();
  async function broadcast(caseId: string): Promise<void> {
    if (reading.has(caseId)) {
      reading.set(caseId, true);
      return;
    }
    reading.set(caseId, false);
    try {
      do {
        reading.set(caseId, false);
        if (!io.of('/').adapter.rooms.get(caseRoom(caseId))?.size) break;
        io.to(caseRoom(caseId)).emit(PRESENCE_EVENT, await listCasePresence({ db: db(), caseId }));
      } while (reading.get(caseId));
    } finally {
      reading.delete(caseId);
    }
  }

  io.on('connection', (socket: Socket) => {
    let watching: string | null = null;
    let lastTyping = 0;
    const userId = socket.data.user.id as string;

    socket.on('presence.join', (caseId: unknown) => {
      if (!isCaseId(caseId)) return;
      if (watching && watching !== caseId) socket.leave(caseRoom(watching));
      watching = caseId;
      socket.join(caseRoom(caseId));
      joinCasePresence({ db: db(), socketId: socket.id, caseId, userId }).catch(fail('join'));
    });
    socket.on('presence.typing', (payload: unknown) => {
      const { caseId, mode } = (payload ?? {}) as { caseId?: unknown; mode?: unknown };
      if (!isCaseId(caseId) || caseId !== watching) return;
      const typing = mode === 'reply' || mode === 'note' ? mode : null;
      const now = Date.now();
      if (typing && now - lastTyping < TYPING_MIN_INTERVAL_MS) return;
      lastTyping = typing ? now : 0;
      setCaseTyping({ db: db(), socketId: socket.id, caseId, typing }).catch(fail('typing'));
    });
    socket.on('presence.leave', (caseId: unknown) => {
      if (!isCaseId(caseId) || caseId !== watching) return;
      socket.leave(caseRoom(caseId));
      watching = null;
      leaveCasePresence({ db: db(), socketIds: [socket.id] }).catch(fail('leave'));
    });
    socket.on('disconnect', () => {
      if (watching) leaveCasePresence({ db: db(), socketIds: [socket.id] }).catch(fail('leave'));
      watching = null;
    });
  });

  const listener = await sql.listen(PRESENCE_CHANNEL, (caseId) => {
    if (isCaseId(caseId)) broadcast(caseId).catch(fail('broadcast'));
  });

  const heartbeat = setInterval(() => {
    const socketIds = [...io.of('/').sockets.keys()];
    renewCasePresence({ db: db(), socketIds }).catch(fail('heartbeat'));
  }, heartbeatMs);
  heartbeat.unref();

  return {
    async close() {
      clearInterval(heartbeat);
      await listener.unlisten();
      // This instance's viewers are gone for everyone else too.
      await leaveCasePresence({ db: db(), socketIds: [...io.of('/').sockets.keys()] }).catch(fail('close'));
    },
  };
}
