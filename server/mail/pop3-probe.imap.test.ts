// "Test connection" of a POP3 processor against Dovecot's own POP3 service: it succeeds the ways an admin would
// configure it, reports the encryption used, and names each kind of failure distinctly, as for IMAP.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotHarness, type DovecotUser } from '../../test/harness/dovecot';
import { freePort } from '../../test/harness/free-port';
import { type Pop3CapabilityProxy, startPop3CapabilityProxy } from '../../test/harness/pop3-capability-proxy';
import { AppError } from '../errors';
import type { Pop3ConnectionSettings } from './pop3-client';
import { testPop3Connection } from './pop3-probe';

const MESSAGE = 'From: a@example.test\r\nTo: b@leopard.test\r\nSubject: probe\r\n\r\n.leading dot\r\nhello\r\n';

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected the connection test to fail');
}

describe('testPop3Connection', () => {
  let dovecot: DovecotHarness;
  let account: DovecotUser;
  let noStls: Pop3CapabilityProxy;
  let noUidl: Pop3CapabilityProxy;
  const silent: net.Server[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot();
    account = await dovecot.addUser();
    await dovecot.append(account.user, MESSAGE);
    await dovecot.append(account.user, MESSAGE);
    noStls = await startPop3CapabilityProxy({ host: dovecot.host, port: dovecot.pop3Port }, { stls: true });
    noUidl = await startPop3CapabilityProxy({ host: dovecot.host, port: dovecot.pop3Port }, { uidl: true, stls: true });
  });

  afterAll(async () => {
    await Promise.all(silent.map((s) => new Promise((r) => s.close(r))));
    await noStls?.close();
    await noUidl?.close();
    await dovecot?.stop();
  });

  const settings = (over: Partial<Pop3ConnectionSettings> = {}): Pop3ConnectionSettings => ({
    host: '127.0.0.1',
    port: dovecot.pop3sPort,
    useSsl: true,
    login: account.user,
    password: account.password,
    allowUntrustedCert: false,
    extraCa: dovecot.certPem,
    ...over,
  });

  it('connects with implicit TLS on the POP3S port and counts the messages', async () => {
    expect(await testPop3Connection(settings())).toEqual({ messageCount: 2, encryption: 'tls' });
  });

  it('upgrades the plain port with STLS and says so', async () => {
    expect(await testPop3Connection(settings({ port: dovecot.pop3Port, useSsl: false }))).toEqual({ messageCount: 2, encryption: 'starttls' });
  });

  it('refuses a server without STLS before sending the password, unless a connection without encryption is allowed', async () => {
    const failure = await failureOf(testPop3Connection(settings({ port: noStls.port, useSsl: false })));
    expect(failure.code).toBe('IMAP_TLS');
    expect(failure.message).toMatch(/offers no encryption \(no STLS\)/);
    expect(noStls.clientBytes()).not.toContain(account.password);
    expect(await testPop3Connection(settings({ port: noStls.port, useSsl: false, allowCleartextLogin: true }))).toEqual({ messageCount: 2, encryption: 'none' });
  });

  it('tells a wrong password from a refused port, a silent server and an untrusted certificate', async () => {
    const wrong = await failureOf(testPop3Connection(settings({ password: 'wrong' })));
    expect(wrong.code).toBe('IMAP_AUTH_FAILED');
    expect(wrong.message).not.toContain('wrong');

    const refused = await failureOf(testPop3Connection(settings({ port: await freePort() })));
    expect(refused.code).toBe('IMAP_CONNECTION_REFUSED');
    expect(refused.message).toMatch(/nothing accepts POP3 connections/);

    const quiet = net.createServer(() => {});
    silent.push(quiet);
    await new Promise<void>((r) => quiet.listen(0, '127.0.0.1', r));
    const timeout = await failureOf(testPop3Connection(settings({ port: (quiet.address() as net.AddressInfo).port, useSsl: false }), { timeoutMs: 1_000 }));
    expect(timeout.code).toBe('IMAP_TIMEOUT');
    expect(timeout.message).toMatch(/no POP3 greeting/);

    const untrusted = await failureOf(testPop3Connection(settings({ extraCa: undefined })));
    expect(untrusted.code).toBe('IMAP_TLS');
    expect(untrusted.message).toMatch(/certificate is not trusted/);
    expect(await testPop3Connection(settings({ extraCa: undefined, allowUntrustedCert: true }))).toMatchObject({ messageCount: 2 });
  });

  it('refuses a server without UIDL with a clear error', async () => {
    // The proxy reads the commands, so it cannot pass TLS: this server is also one without encryption.
    const failure = await failureOf(testPop3Connection(settings({ port: noUidl.port, useSsl: false, allowCleartextLogin: true })));
    expect(failure.code).toBe('IMAP_NO_UIDL');
    expect(failure.message).toMatch(/does not support UIDL/);
  });
});
