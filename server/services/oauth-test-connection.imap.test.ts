// "Test connection" of an OAuth2 processor against real servers: it renews the token at the provider and signs in to
// Dovecot with it, and tells apart a provider that refused (reconnect), a provider that could not be reached, and a
// mail server that refused the token.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotHarness, startDovecot } from '../../test/harness/dovecot';
import { seedAdmin } from '../../test/harness/mailboxes';
import { signInAtProvider } from '../../test/harness/oidc-browser';
import { type OidcProviderHarness, startOidcProvider } from '../../test/harness/oidc-provider';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import type { AuditActor } from './audit';
import { completeOAuthConnect, startOAuthConnect } from './oauth-connect';
import { saveOAuthProvider } from './oauth-providers';
import type { OAuthEnv } from './oauth-tokens';
import { testProcessorConnection } from './processor-connection';
import { createProcessor } from './processors';
import { startSession } from './sessions';
import { testOutgoingServer, updateOutgoingServer } from './outgoing-servers';
import { createSelfSignedCert } from '../../test/harness/self-signed-cert';
import { startSmtpServer } from '../../test/harness/smtp-server';

const PUBLIC_URL = 'http://127.0.0.1:3997';
const config = { publicUrl: PUBLIC_URL } as OAuthEnv;
const key = randomBytes(32);
const USER = { email: 'probe@leopard.test', password: 'provider-Pa55' };

let idp: OidcProviderHarness;
let dovecot: DovecotHarness;
let testDb: TestDatabase;
let admin: AuditActor;
let providerId: string;

beforeAll(async () => {
  idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/api/oauth/callback`] });
  idp.addUser(USER.email, USER.password);
  [dovecot, testDb] = await Promise.all([
    startDovecot({ oauth2: { introspectionUrlWithCredentials: idp.introspection.urlWithCredentials, usernameAttribute: 'email' } }),
    createTestDatabase(),
  ]);
  await dovecot.addUser(USER.email);
  await dovecot.addUser('shared@leopard.test');
  admin = await seedAdmin(testDb.db);
  providerId = (
    await saveOAuthProvider({
      db: testDb.db,
      actor: admin,
      key,
      input: { name: 'Test provider', kind: 'custom', issuerUrl: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, scopes: 'openid email offline_access' },
    })
  ).id;
}, 60_000);

afterAll(async () => {
  await Promise.all([dovecot?.stop(), idp?.close()]);
  await testDb?.drop();
});

async function connectedProcessor(emailAddress: string, login: string): Promise<string> {
  const processor = await createProcessor({
    db: testDb.db,
    actor: admin,
    key,
    input: { emailAddress, name: emailAddress, active: true, host: '127.0.0.1', type: 'imap', port: dovecot.imapsPort, useSsl: true, login, autoReply: false, allowUntrustedCert: true, authMethod: 'oauth2', oauthProviderId: providerId },
  });
  const session = { sessionId: await startSession({ db: testDb.db, userId: admin.id }), user: { id: admin.id, email: admin.email, name: 'Admin', role: 'admin' as const } };
  const url = await startOAuthConnect({ db: testDb.db, key, config, session, processorId: processor.id });
  await completeOAuthConnect({ db: testDb.db, key, config, session, query: (await signInAtProvider(url, USER)).searchParams });
  return processor.id;
}

const testOf = (id: string, login: string) =>
  testProcessorConnection({
    db: testDb.db,
    actor: admin,
    key,
    oauthConfig: config,
    input: { id, host: '127.0.0.1', port: dovecot.imapsPort, useSsl: true, login, allowUntrustedCert: true },
  });

describe('Test connection of an OAuth2 processor', () => {
  it('renews the token and signs in with it', async () => {
    const id = await connectedProcessor(USER.email, '');
    const before = idp.refreshRequests().length;
    await expect(testOf(id, USER.email)).resolves.toMatchObject({ ok: true, encryption: 'tls' });
    expect(idp.refreshRequests().length).toBe(before + 1);
  });

  it('the outgoing SMTP server of an OAuth2 mailbox is saved without a password and "Send a test mail" signs in with XOAUTH2', async () => {
    const id = await connectedProcessor('sender@leopard.test', USER.email);
    const cert = await createSelfSignedCert(dovecot.dir);
    const smtp = await startSmtpServer({ tls: { certPem: cert.certPem, keyPem: cert.keyPem }, oauth2: { introspect: (token) => idp.introspect(token) } });
    try {
      const input = {
        processorId: id,
        mode: 'smtp' as const,
        smtpHost: '127.0.0.1',
        smtpPort: smtp.port,
        smtpSecurity: 'starttls' as const,
        smtpAllowUntrustedCert: true,
        smtpLogin: '',
        smtpPassword: '',
        useMailboxPassword: true,
        signature: '',
        copyToSent: false,
      };
      await updateOutgoingServer({ db: testDb.db, actor: admin, key, input });
      await expect(testOutgoingServer({ db: testDb.db, actor: admin, key, input, to: 'someone@customer.example' })).resolves.toMatchObject({ ok: true });
      const [mail] = await smtp.waitForMails(1);
      expect(mail!.username).toBe(USER.email);
    } finally {
      await smtp.close();
    }
  });

  it('says the mail server refused the token when the signed-in user may not open that mailbox', async () => {
    const id = await connectedProcessor('shared@leopard.test', 'shared@leopard.test');
    await expect(testOf(id, 'shared@leopard.test')).rejects.toMatchObject({
      code: 'IMAP_AUTH_FAILED',
      message: expect.stringContaining('refused the token for shared@leopard.test'),
    });
  });

  it('says reconnect is needed, in the provider\'s words, once the grant is revoked', async () => {
    const id = await connectedProcessor('probe2@leopard.test', USER.email);
    await idp.revokeGrants(USER.email);
    await expect(testOf(id, USER.email)).rejects.toMatchObject({ code: 'OAUTH_RECONNECT_NEEDED', message: expect.stringContaining('invalid_grant') });
  });

  it('says the provider could not be reached when it is down', async () => {
    const id = await connectedProcessor('probe3@leopard.test', USER.email);
    await idp.close();
    await expect(testOf(id, USER.email)).rejects.toMatchObject({ code: 'OAUTH_PROVIDER', message: expect.stringContaining('Could not reach Test provider') });
  });
});
