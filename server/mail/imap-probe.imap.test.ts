// "Test connection" against a real Dovecot: it succeeds the ways an admin would configure it and
// names each kind of failure distinctly. Nothing here leaves the machine: the servers are on
// 127.0.0.1 and made-up host names are answered by a lookup function, not by DNS.
import net, { type LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotHarness, type DovecotUser } from '../../test/harness/dovecot';
import { freePort } from '../../test/harness/free-port';
import { startNoStarttlsProxy, type NoStarttlsProxy } from '../../test/harness/no-starttls-proxy';
import { AppError } from '../errors';
import { testImapConnection, type ImapConnectionSettings } from './imap-probe';

const MESSAGE = 'From: a@example.test\r\nTo: b@leopard.test\r\nSubject: probe\r\n\r\nhello\r\n';

/** Resolves every name to 127.0.0.1, or to nothing (ENOTFOUND) for names under .invalid, and records what was asked. */
function loopbackLookup(asked: string[]): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    asked.push(hostname);
    if (hostname.endsWith('.invalid')) {
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname });
      callback(err);
    } else if (options.all) {
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    } else {
      callback(null, '127.0.0.1', 4);
    }
  }) as LookupFunction;
}

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected the connection test to fail');
}

describe('testImapConnection', () => {
  let dovecot: DovecotHarness;
  let account: DovecotUser;
  let uidValidity: string;
  let noStarttls: NoStarttlsProxy;
  const fakeServers: net.Server[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot();
    account = await dovecot.addUser();
    await dovecot.append(account.user, MESSAGE);
    await dovecot.append(account.user, MESSAGE);
    const client = await dovecot.connect(account.user);
    uidValidity = (await client.mailboxOpen('INBOX', { readOnly: true })).uidValidity.toString();
    await client.logout();
    noStarttls = await startNoStarttlsProxy({ host: dovecot.host, port: dovecot.imapPort });
  });

  afterAll(async () => {
    await Promise.all(fakeServers.map((server) => new Promise((resolve) => server.close(resolve))));
    await noStarttls?.close();
    await dovecot?.stop();
  });

  function settings(overrides: Partial<ImapConnectionSettings> = {}): ImapConnectionSettings {
    return {
      host: dovecot.host,
      port: dovecot.imapsPort,
      useSsl: true,
      login: account.user,
      password: account.password,
      allowUntrustedCert: false,
      extraCa: dovecot.certPem,
      ...overrides,
    };
  }

  describe('succeeds', () => {
    it('over SSL when the certificate is trusted through the extra CA', async () => {
      const result = await testImapConnection(settings());
      expect(result).toMatchObject({ messageCount: 2, uidValidity, encryption: 'tls' });
      expect(result.capabilities).toContain('IDLE');
    });

    it('over SSL with a self-signed certificate when untrusted certificates are accepted', async () => {
      const result = await testImapConnection(settings({ extraCa: undefined, allowUntrustedCert: true }));
      expect(result).toMatchObject({ messageCount: 2, uidValidity, encryption: 'tls' });
    });

    it('on the plain port, upgrading with STARTTLS and checking the certificate', async () => {
      expect(await testImapConnection(settings({ port: dovecot.imapPort, useSsl: false }))).toMatchObject({
        messageCount: 2,
        uidValidity,
        encryption: 'starttls',
      });
      expect(
        await testImapConnection(settings({ port: dovecot.imapPort, useSsl: false, extraCa: undefined, allowUntrustedCert: true })),
      ).toMatchObject({ messageCount: 2, encryption: 'starttls' });
    });

    it('in cleartext on a server without STARTTLS only when the admin allowed an unencrypted login, and says so', async () => {
      const result = await testImapConnection(settings({ port: noStarttls.port, useSsl: false, allowCleartextLogin: true }));
      expect(result).toMatchObject({ messageCount: 2, encryption: 'none' });
    });
  });

  describe('refuses a cleartext login', () => {
    it('on a server without STARTTLS: the password is never sent and the admin is told what to change', async () => {
      const before = noStarttls.clientBytes().length;
      const err = await failureOf(testImapConnection(settings({ port: noStarttls.port, useSsl: false })));
      expect(err.code).toBe('IMAP_TLS');
      expect(err.message).toBe(
        `127.0.0.1:${noStarttls.port} offers no encryption (no STARTTLS), so Leopard did not send the password. ` +
          "Turn on SSL if the server has an SSL port (usually 993), or tick 'Allow a connection without encryption' only for a server on a network you trust.",
      );
      const sent = noStarttls.clientBytes().slice(before);
      expect(sent).not.toContain(account.password);
      expect(sent).not.toMatch(/LOGIN|AUTHENTICATE/i);
    });
  });

  describe('reports', () => {
    it('a wrong password as IMAP_AUTH_FAILED with the server\'s words, never the password', async () => {
      const wrong = 'Wrong-Secret-123';
      const err = await failureOf(testImapConnection(settings({ password: wrong })));
      expect(err.code).toBe('IMAP_AUTH_FAILED');
      expect(err.message).toContain('rejected the login name or password');
      expect(err.message).toContain('Authentication failed.');
      expect(err.message).not.toContain(wrong);
      expect(String(err.cause)).not.toContain(wrong);
    });

    it('a port nobody listens on as IMAP_CONNECTION_REFUSED', async () => {
      const closedPort = await freePort();
      const err = await failureOf(testImapConnection(settings({ port: closedPort })));
      expect(err.code).toBe('IMAP_CONNECTION_REFUSED');
      expect(err.message).toContain(`127.0.0.1:${closedPort} refused the connection`);
    });

    it('a host name that does not exist as IMAP_HOST_NOT_FOUND', async () => {
      const asked: string[] = [];
      const err = await failureOf(testImapConnection(settings({ host: 'imap.no-such-mailbox.invalid' }), { lookup: loopbackLookup(asked) }));
      expect(asked).toEqual(['imap.no-such-mailbox.invalid']);
      expect(err.code).toBe('IMAP_HOST_NOT_FOUND');
      expect(err.message).toContain('imap.no-such-mailbox.invalid was not found');
    });

    it('a self-signed certificate as IMAP_TLS when untrusted certificates are not accepted', async () => {
      const err = await failureOf(testImapConnection(settings({ extraCa: undefined })));
      expect(err.code).toBe('IMAP_TLS');
      expect(err.message).toBe(
        "The server's TLS certificate is not trusted (self-signed certificate). Turn on 'Accept untrusted certificate' only if you trust this server.",
      );
    });

    it('a self-signed certificate offered through STARTTLS as IMAP_TLS, without falling back to cleartext', async () => {
      const err = await failureOf(testImapConnection(settings({ port: dovecot.imapPort, useSsl: false, extraCa: undefined })));
      expect(err.code).toBe('IMAP_TLS');
      expect(err.message).toContain('(offered through STARTTLS) is not trusted (self-signed certificate)');
    });

    it('a certificate issued for another host name as IMAP_TLS', async () => {
      const err = await failureOf(testImapConnection(settings({ host: 'mail.elsewhere.test' }), { lookup: loopbackLookup([]) }));
      expect(err.code).toBe('IMAP_TLS');
      expect(err.message).toContain('(issued for another host name)');
    });

    it('SSL to the plain port as a TLS handshake problem that suggests the wrong port', async () => {
      const err = await failureOf(testImapConnection(settings({ port: dovecot.imapPort })));
      expect(err.code).toBe('IMAP_TLS');
      expect(err.message).toContain('wrong version number');
      expect(err.message).toContain('wrong port for SSL?');
    });

    it('plain IMAP to the SSL port as IMAP_TIMEOUT that suggests turning SSL on, within the time budget', async () => {
      const started = Date.now();
      const err = await failureOf(testImapConnection(settings({ port: dovecot.imapsPort, useSsl: false }), { timeoutMs: 1_000 }));
      expect(err.code).toBe('IMAP_TIMEOUT');
      expect(err.message).toContain('sent no IMAP greeting');
      expect(err.message).toContain('turn SSL on');
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('a server that greets but never answers the login as IMAP_TIMEOUT within the time budget', async () => {
      // Accepts, greets, then reads and ignores everything: only the overall deadline can end this.
      const silent = net.createServer((socket) => {
        socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake server ready\r\n');
        socket.on('data', () => {});
        socket.on('error', () => {});
      });
      fakeServers.push(silent);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as net.AddressInfo).port;

      const started = Date.now();
      const err = await failureOf(testImapConnection(settings({ port, useSsl: false, allowCleartextLogin: true }), { timeoutMs: 800 }));
      expect(err.code).toBe('IMAP_TIMEOUT');
      expect(err.message).toBe(`127.0.0.1:${port} did not answer within 800 ms. Check the host and port, and that this server may connect to it.`);
      expect(Date.now() - started).toBeLessThan(2_500);
    });
  });
});
