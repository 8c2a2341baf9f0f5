// A socket hears case events only once its session cookie checks out, and what it hears is a
// summary (ids, subject, status), never a message body.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie } from '../../test/harness/api-client';
import { insertCase, insertMessage } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { SessionUser } from '../auth/session';
import { closeDb } from '../db/client';
import { resetEnvForTests } from '../env';
import { createLogger } from '../log';
import { caseEventSummary, publishCaseEvent } from '../services/case-events';
import { createUser } from '../services/users';
import type { CaseEvent } from './events';
import { attachRealtime } from './socket-server';

let testDb: TestDatabase;
let httpServer: Server;
let realtime: Awaited<ReturnType<typeof attachRealtime>>;
let url: string;
let agent: SessionUser;
const sockets: Socket[] = [];

function open(cookie: string): Socket {
  const socket = connect(url, {
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
});
