// Presence between two web instances: each has its own HTTP server, Socket.IO server and LISTEN
// connection, and shares only the database, as two deployed instances would. An agent on one sees a
// colleague on the other arrive, type and leave.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionCookie } from '../../test/harness/api-client';
import { insertCase } from '../../test/harness/case-fixtures';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import { closeDb, createPool } from '../db/client';
import { resetEnvForTests } from '../env';
import { createLogger } from '../log';
import type { CasePresence } from '../services/case-presence';
import { createUser } from '../services/users';
import { attachRealtime } from './socket-server';

type Instance = { http: Server; realtime: Awaited<ReturnType<typeof attachRealtime>>; url: string; pool: ReturnType<typeof createPool> };

let testDb: TestDatabase;
const instances: Instance[] = [];
const sockets: Socket[] = [];
let annaCookie: string;
let benCookie: string;

async function startInstance(): Promise<Instance> {
  const pool = createPool(testDb.url, { max: 2, applicationName: 'leopard-test-web' });
  const http = createServer();
  const realtime = await attachRealtime(http, pool.sql, createLogger('test'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, realtime, pool, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function open(cookie: string, at: string): Socket {
  const socket = connect(at, { path: '/socket.io', transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, forceNew: true });
  sockets.push(socket);
  return socket;
}

const connected = (socket: Socket) => new Promise<void>((resolve) => socket.once('connect', () => resolve()));

/** The next presence list for this case that satisfies `ok`. */
function presenceWhere(socket: Socket, caseId: string, ok: (p: CasePresence) => boolean): Promise<CasePresence> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such presence in time')), 5_000);
    const on = (p: CasePresence) => {
      if (p.caseId !== caseId || !ok(p)) return;
      clearTimeout(timer);
      socket.off('presence', on);
      resolve(p);
    };
    socket.on('presence', on);
  });
}

const people = (p: CasePresence) => p.viewers.map((v) => `${v.name}${v.typing ? ` (${v.typing})` : ''}`).sort();

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  const anna = await createUser({ db: testDb.db, actor: null, input: { email: 'anna@example.test', name: 'Anna', role: 'agent', password: 'correct-horse-1' } });
  const ben = await createUser({ db: testDb.db, actor: null, input: { email: 'ben@example.test', name: 'Ben', role: 'agent', password: 'correct-horse-2' } });
  annaCookie = await sessionCookie({ id: anna.id, email: anna.email, name: anna.name, role: 'agent' });
  benCookie = await sessionCookie({ id: ben.id, email: ben.email, name: ben.name, role: 'agent' });
  instances.push(await startInstance(), await startInstance());
});

afterAll(async () => {
  for (const s of sockets) s.close();
  for (const i of instances) {
    await i.realtime.close();
    await new Promise<void>((resolve) => i.http.close(() => resolve()));
    await i.pool.sql.end({ timeout: 5 });
  }
  await closeDb();
  await testDb.drop();
});

describe('presence across web instances', () => {
  it('an agent on one web instance sees a colleague on the other arrive, write a reply, stop, and leave', async () => {
    const c = await insertCase(testDb.db);
    const anna = open(annaCookie, instances[0]!.url);
    const ben = open(benCookie, instances[1]!.url);
    await Promise.all([connected(anna), connected(ben)]);

    const annaAlone = presenceWhere(anna, c.id, (p) => p.viewers.length === 1);
    anna.emit('presence.join', c.id);
    expect(people(await annaAlone)).toEqual(['Anna']);

    const annaSeesBen = presenceWhere(anna, c.id, (p) => p.viewers.length === 2);
    const benSeesAnna = presenceWhere(ben, c.id, (p) => p.viewers.length === 2);
    ben.emit('presence.join', c.id);
    expect(people(await annaSeesBen)).toEqual(['Anna', 'Ben']);
    expect(people(await benSeesAnna)).toEqual(['Anna', 'Ben']);

    const typing = presenceWhere(anna, c.id, (p) => p.viewers.some((v) => v.typing === 'reply'));
    ben.emit('presence.typing', { caseId: c.id, mode: 'reply' });
    expect(people(await typing)).toEqual(['Anna', 'Ben (reply)']);

    const stopped = presenceWhere(anna, c.id, (p) => p.viewers.length === 2 && p.viewers.every((v) => v.typing === null));
    ben.emit('presence.typing', { caseId: c.id, mode: null });
    expect(people(await stopped)).toEqual(['Anna', 'Ben']);

    const left = presenceWhere(anna, c.id, (p) => p.viewers.length === 1);
    ben.close();
    expect(people(await left)).toEqual(['Anna']);
  });

  it('a socket may only type on the case it joined', async () => {
    const watched = await insertCase(testDb.db);
    const other = await insertCase(testDb.db);
    const ben = open(benCookie, instances[1]!.url);
    const anna = open(annaCookie, instances[0]!.url);
    await Promise.all([connected(anna), connected(ben)]);
    const bothThere = presenceWhere(anna, other.id, (p) => p.viewers.length === 2);
    ben.emit('presence.join', watched.id);
    anna.emit('presence.join', other.id);
    await presenceWhere(anna, other.id, (p) => p.viewers.length === 1);
    ben.emit('presence.typing', { caseId: other.id, mode: 'reply' });
    ben.emit('presence.join', other.id);
    // Ben's typing on a case he had not joined counted for nothing: he arrives, not typing.
    expect(people(await bothThere)).toEqual(['Anna', 'Ben']);
  });
});
