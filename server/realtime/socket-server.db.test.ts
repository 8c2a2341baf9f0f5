// A socket hears case events only once its session cookie checks out, and what it hears is a
// summary (ids, subject, status), never a message body. It is closed when its session ends.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie } from '../../test/harness/api-client';
import { insertCase, insertMessage } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { sessionFromCookies, type SessionUser } from '../auth/session';
import { closeDb } from '../db/client';
import { userSessions } from '../db/schema';
import { resetEnvForTests } from '../env';
import { createLogger } from '../log';
import { caseEventSummary, publishCaseEvent } from '../services/case-events';
import { endSession } from '../services/sessions';
import { createUser, updateUser } from '../services/users';
import type { CaseEvent } from './events';
import { attachRealtime } from './socket-server';

let testDb: TestDatabase;
let httpServer: Server;
let realtime: Awaited<ReturnType<typeof attachRealtime>>;
let url: string;
let agent: SessionUser;
let adminId: string;
const sockets: Socket[] = [];

function open(cookie: string, at = url): Socket {
  const socket = connect(at, {
    path: '/socket.io',
    transports: ['websocket'],
    extraHeaders: cookie ? { cookie } : {},
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  return socket;
}

function once<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, (value: T) => resolve(value)));
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  const u = await createUser({ db: testDb.db, actor: null, input: { email: 'agent@example.test', name: 'Agent', role: 'agent', password: 'correct-horse-1' } });
  agent = { id: u.id, email: u.email, name: u.name, role: 'agent' };
  adminId = (await createUser({ db: testDb.db, actor: null, input: { email: 'admin@example.test', name: 'Admin', role: 'admin', password: 'correct-horse-2' } })).id;
  httpServer = createServer();
  realtime = await attachRealtime(httpServer, testDb.sql, createLogger('test'));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

afterAll(async () => {
  await realtime.close();
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  await closeDb();
  await testDb.drop();
});

describe('realtime sockets', () => {
  it('refuses a socket without a session cookie', async () => {
    const error = await once<Error>(open(''), 'connect_error');
    expect(error.message).toBe('unauthorized');
  });

  it('refuses a socket whose cookie is not a valid session', async () => {
    const error = await once<Error>(open('next-auth.session-token=forged'), 'connect_error');
    expect(error.message).toBe('unauthorized');
  });

  it('delivers a committed case event to a signed-in socket, with a summary and no body', async () => {
    const socket = open(await sessionCookie(agent));
    await once(socket, 'connect');
    const c = await insertCase(testDb.db, { subject: 'Printer on fire' });
    await insertMessage(testDb.db, { caseId: c.id, textBody: 'SECRET BODY TEXT', htmlBody: '<p>SECRET BODY HTML</p>' });

    const received = once<CaseEvent>(socket, 'case.created');
    await testDb.db.transaction((tx) => publishCaseEvent(tx, { type: 'case.created', case: caseEventSummary(c) }));
    const event = await received;

    expect(event).toEqual({ type: 'case.created', case: caseEventSummary(c) });
    expect(event.case).toMatchObject({ caseId: c.id, subject: 'Printer on fire', status: 'new' });
    expect(JSON.stringify(event)).not.toContain('SECRET BODY');
  });

  it('never delivers an event whose transaction rolled back', async () => {
    const socket = open(await sessionCookie(agent));
    await once(socket, 'connect');
    const rolledBack = await insertCase(testDb.db, { subject: 'Rolled back' });
    const committed = await insertCase(testDb.db, { subject: 'Committed' });
    const seen: CaseEvent[] = [];
    socket.on('case.updated', (event: CaseEvent) => seen.push(event));

    await testDb.db
      .transaction(async (tx) => {
        await publishCaseEvent(tx, { type: 'case.updated', case: caseEventSummary(rolledBack) });
        throw new Error('abort');
      })
      .catch(() => {});
    const next = once<CaseEvent>(socket, 'case.updated');
    await testDb.db.transaction((tx) => publishCaseEvent(tx, { type: 'case.updated', case: caseEventSummary(committed) }));
    await next;

    expect(seen.map((e) => e.case.subject)).toEqual(['Committed']);
  });

  it('closes an open socket when its session signs out, and refuses that cookie on reconnect', async () => {
    const cookie = await sessionCookie(agent);
    const socket = open(cookie);
    await once(socket, 'connect');
    const disconnected = once<string>(socket, 'disconnect');

    await endSession({ db: testDb.db, sessionId: (await sessionFromCookies(cookie))!.sessionId });

    // Closed by the server: out of every room, so no further case events reach it.
    expect(await disconnected).toBe('io server disconnect');
    const error = await once<Error>(open(cookie), 'connect_error');
    expect(error.message).toBe('unauthorized');
  });

  it('closes every open socket of a user who is deactivated, and refuses them on reconnect', async () => {
    const u = await createUser({ db: testDb.db, actor: null, input: { email: 'leaving@example.test', name: 'Leaving', role: 'agent', password: 'correct-horse-3' } });
    const leaving: SessionUser = { id: u.id, email: u.email, name: u.name, role: 'agent' };
    const cookie = await sessionCookie(leaving);
    const tabs = [open(cookie), open(await sessionCookie(leaving))];
    await Promise.all(tabs.map((tab) => once(tab, 'connect')));
    const closed = Promise.all(tabs.map((tab) => once<string>(tab, 'disconnect')));

    await updateUser({ db: testDb.db, actor: { id: adminId, email: 'admin@example.test' }, input: { id: u.id, active: false } });

    expect(await closed).toEqual(['io server disconnect', 'io server disconnect']);
    const error = await once<Error>(open(cookie), 'connect_error');
    expect(error.message).toBe('unauthorized');
  });

  it('closes a socket whose session ended unheard, at the next re-check', async () => {
    const server = createServer();
    const rechecking = await attachRealtime(server, testDb.sql, createLogger('test'), { recheckMs: 200 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const cookie = await sessionCookie(agent);
      const socket = open(cookie, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      await once(socket, 'connect');
      const disconnected = once<string>(socket, 'disconnect');
      // Deleted without the NOTIFY, as if the web server had missed it while its LISTEN was down.
      const { sessionId } = (await sessionFromCookies(cookie))!;
      await testDb.db.delete(userSessions).where(eq(userSessions.id, sessionId));
      expect(await disconnected).toBe('io server disconnect');
    } finally {
      await rechecking.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
