// Stored mailbox passwords stay bound to the server they were typed for (issue: an admin could make
// "Test connection" send a processor's stored password to a host of their choosing).
// The "server of their choosing" here is a real TCP listener on loopback that speaks just enough IMAP to
// be offered a login, and records every byte it receives.
import net from 'node:net';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../test/harness/api-client';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { SessionUser } from '../auth/session';
import { open } from '../crypto/secret-box';
import { closeDb } from '../db/client';
import { auditLog, emailProcessors } from '../db/schema';
import { RETYPE_PASSWORD_MESSAGE } from '../domain/stored-password-reuse';
import { env, resetEnvForTests } from '../env';
import { seedDefaults } from '../services/bootstrap';
import { createUser } from '../services/users';

const STORED_PASSWORD = 'stored-Mailbox-Pa55';

type Recorder = { port: number; connections: number; received: () => string; close: () => Promise<void> };

/** An IMAP-looking server that offers plaintext login, refuses every command and remembers what it heard. */
async function startRecorder(): Promise<Recorder> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const recorder = { connections: 0 } as Recorder;
  const server = net.createServer((socket) => {
    recorder.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN] ready\r\n');
    socket.on('data', (data) => {
      chunks.push(data);
      for (const line of data.toString('latin1').split('\r\n')) {
        const tag = line.split(' ')[0];
        if (line.includes(' ')) socket.write(`${tag} NO refused\r\n`);
        else if (line !== '') socket.write('+ \r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recorder.port = (server.address() as net.AddressInfo).port;
  recorder.received = () => Buffer.concat(chunks).toString('latin1');
  recorder.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return recorder;
}

function mentionsPassword(text: string, password: string): boolean {
  const plain = Buffer.from(`\0user\0${password}`).toString('base64');
  return text.includes(password) || text.includes(Buffer.from(password).toString('base64')) || text.includes(plain.slice(8));
}

let testDb: TestDatabase;
let admin: SessionUser;
let recorder: Recorder;
let processorId: string;
let settings: Record<string, unknown>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  resetEnvForTests();
  await seedDefaults({ db: testDb.db, adminEmail: 'seed@example.com', adminPassword: 'seed-password-1' });
  const a = await createUser({ db: testDb.db, actor: null, input: { email: 'boss@example.com', name: 'Boss', role: 'admin', password: 'correct-horse-1' } });
  admin = { id: a.id, email: a.email, name: a.name, role: 'admin' };
  recorder = await startRecorder();
  // Stored for a server on the recorder's port but another host name: only the host differs below.
  settings = {
    emailAddress: 'support@example.com',
    name: 'Support',
    active: false,
    host: 'mail.example.invalid',
    type: 'imap',
    port: recorder.port,
    useSsl: false,
    login: 'user',
    autoReply: true,
    allowUntrustedCert: false,
    allowCleartextLogin: true,
  };
  const created = await callApi(admin, 'processors.create', { ...settings, password: STORED_PASSWORD });
  expect(created.status).toBe(200);
  processorId = (created.data as { id: string }).id;
});

afterAll(async () => {
  await recorder?.close();
  await closeDb();
  await testDb.drop();
});

const connectionTest = (overrides: Record<string, unknown>) => ({
  id: processorId,
  host: settings.host,
  port: settings.port,
  useSsl: settings.useSsl,
  login: settings.login,
  allowUntrustedCert: settings.allowUntrustedCert,
  allowCleartextLogin: settings.allowCleartextLogin,
  ...overrides,
});

describe('stored mailbox passwords', () => {
  it('refuses to test a changed host with the stored password, and the other host hears nothing', async () => {
    const response = await callApi(admin, 'processors.testConnection', connectionTest({ host: '127.0.0.1' }));
    expect(response.status).toBe(400);
    expect(response.error?.data.fieldErrors).toEqual({ password: RETYPE_PASSWORD_MESSAGE });
    expect(recorder.connections).toBe(0);
    expect(mentionsPassword(recorder.received(), STORED_PASSWORD)).toBe(false);
  });

  it('refuses a changed port, login or TLS setting the same way', async () => {
    for (const change of [{ port: 1 }, { login: 'admin' }, { allowUntrustedCert: true }, { useSsl: true }]) {
      const response = await callApi(admin, 'processors.testConnection', connectionTest(change));
      expect(response.error?.data.fieldErrors, JSON.stringify(change)).toEqual({ password: RETYPE_PASSWORD_MESSAGE });
    }
    expect(recorder.connections).toBe(0);
  });

  it('tests a changed host with a password typed again, which is the admin’s own to send', async () => {
    const response = await callApi(admin, 'processors.testConnection', connectionTest({ host: '127.0.0.1', password: 'typed-again-1' }));
    expect(response.status).toBe(400);
    expect(recorder.connections).toBe(1);
    expect(recorder.received()).toMatch(/AUTHENTICATE PLAIN|LOGIN/i);
    expect(mentionsPassword(recorder.received(), STORED_PASSWORD)).toBe(false);
  });

  it('audits every connection test, the refused ones too, without a password', async () => {
    const rows = await testDb.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'processor.connection_tested'), eq(auditLog.entityId, processorId)));
    const outcomes = rows.map((r) => (r.details as { outcome: string }).outcome);
    expect(outcomes.filter((o) => o.startsWith('refused'))).toHaveLength(5);
    expect(outcomes.filter((o) => o.startsWith('failed'))).toHaveLength(1);
    expect(rows.every((r) => r.actorEmail === 'boss@example.com')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(STORED_PASSWORD);
    expect(JSON.stringify(rows)).not.toContain('typed-again-1');
  });

  it('refuses to save a changed host without the password, and keeps the stored host and password', async () => {
    const response = await callApi(admin, 'processors.update', { ...settings, id: processorId, host: '127.0.0.1' });
    expect(response.status).toBe(400);
    expect(response.error?.data.fieldErrors).toEqual({ password: RETYPE_PASSWORD_MESSAGE });
    const [row] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
    expect(row.host).toBe('mail.example.invalid');
    expect(open(row.passwordCiphertext!, env().secretKey)).toBe(STORED_PASSWORD);
  });

  it('saves a changed host when the password is typed again, and unchanged settings without it', async () => {
    const moved = await callApi(admin, 'processors.update', { ...settings, id: processorId, host: '127.0.0.1', password: 'typed-again-2' });
    expect(moved.status).toBe(200);
    const renamed = await callApi(admin, 'processors.update', { ...settings, id: processorId, host: '127.0.0.1', name: 'Support desk' });
    expect(renamed.status).toBe(200);
    const [row] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
    expect(open(row.passwordCiphertext!, env().secretKey)).toBe('typed-again-2');
    expect(row.name).toBe('Support desk');
  });
});
