// OAuth2 sign-in for mailboxes against a real authorization server (oidc-provider on loopback): Connect, the
// callback bound to the admin's session, refresh with rotation, a revoked grant, and that no procedure output ever
// holds a token or a client secret.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as callbackRoute } from '../../app/api/oauth/callback/route';
import { callApi, callApiWithHeaders, sessionCookie } from '../../test/harness/api-client';
import { signInAtProvider } from '../../test/harness/oidc-browser';
import { type OidcProviderHarness, startOidcProvider } from '../../test/harness/oidc-provider';
import { createTestDatabase, type TestDatabase, useDatabaseForApp } from '../../test/harness/test-database';
import type { SessionUser } from '../auth/session';
import { open } from '../crypto/secret-box';
import { closeDb } from '../db/client';
import { emailProcessors } from '../db/schema';
import { env, resetEnvForTests } from '../env';
import { seedDefaults } from '../services/bootstrap';
import { getMailboxAccessToken } from '../services/oauth-tokens';
import { createUser } from '../services/users';

const PUBLIC_URL = 'http://127.0.0.1:3999';
const MAILBOX = { email: 'helpdesk@leopard.test', password: 'provider-Pa55' };

let testDb: TestDatabase;
let idp: OidcProviderHarness;
let admin: SessionUser;
let agent: SessionUser;
let providerId: string;

const processorSettings = {
  emailAddress: 'helpdesk@leopard.test',
  name: 'Helpdesk',
  active: true,
  host: '127.0.0.1',
  type: 'imap' as const,
  port: 993,
  useSsl: true,
  login: '',
  autoReply: false,
  authMethod: 'oauth2' as const,
};

beforeAll(async () => {
  testDb = await createTestDatabase();
  useDatabaseForApp(testDb.url);
  process.env.PUBLIC_URL = PUBLIC_URL;
  resetEnvForTests();
  idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/api/oauth/callback`] });
  idp.addUser(MAILBOX.email, MAILBOX.password);
  await seedDefaults({ db: testDb.db, adminEmail: 'seed@example.com', adminPassword: 'seed-password-1' });
  const a = await createUser({ db: testDb.db, actor: null, input: { email: 'boss@example.com', name: 'Boss', role: 'admin', password: 'correct-horse-1' } });
  admin = { id: a.id, email: a.email, name: a.name, role: 'admin' };
  const g = await createUser({ db: testDb.db, actor: null, input: { email: 'agent@example.com', name: 'Agent', role: 'agent', password: 'correct-horse-2' } });
  agent = { id: g.id, email: g.email, name: g.name, role: 'agent' };
  const saved = await callApi(admin, 'oauth.saveProvider', {
    name: 'Test provider',
    kind: 'custom',
    issuerUrl: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    scopes: 'openid email offline_access',
  });
  expect(saved.error).toBeNull();
  providerId = (saved.data as { id: string }).id;
});

afterAll(async () => {
  await idp?.close();
  await closeDb();
  await testDb?.drop();
  delete process.env.PUBLIC_URL;
});

async function createOAuthProcessor(emailAddress: string): Promise<string> {
  const created = await callApi(admin, 'processors.create', { ...processorSettings, emailAddress, oauthProviderId: providerId });
  expect(created.error).toBeNull();
  return (created.data as { id: string }).id;
}

/** Connect as the browser would: start in one session, sign in at the provider, come back with that session's cookie. */
async function connect(processorId: string, cookie: string, callbackCookie = cookie): Promise<Response> {
  const started = await callApiWithHeaders({ cookie }, 'oauth.connect', { processorId });
  expect(started.error).toBeNull();
  const back = await signInAtProvider((started.data as { url: string }).url, MAILBOX);
  return callbackRoute(new Request(back, { headers: { cookie: callbackCookie } }));
}

async function storedTokens(processorId: string) {
  const [row] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
  return {
    row: row!,
    refreshToken: row!.oauthRefreshTokenCiphertext ? open(row!.oauthRefreshTokenCiphertext, env().secretKey) : null,
    accessToken: row!.oauthAccessTokenCiphertext ? open(row!.oauthAccessTokenCiphertext, env().secretKey) : null,
  };
}

describe('OAuth2 sign-in for mailboxes', () => {
  let processorId: string;

  it('Connect signs in at the provider and stores sealed tokens, with the mailbox address taken from the id token', async () => {
    processorId = await createOAuthProcessor('helpdesk@leopard.test');
    const before = await callApi(admin, 'processors.get', { id: processorId });
    expect((before.data as { state: { kind: string } }).state.kind).toBe('needs_filter');

    const res = await connect(processorId, await sessionCookie(admin));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${PUBLIC_URL}/admin/processors/${processorId}?connected=1`);
    const { row, refreshToken, accessToken } = await storedTokens(processorId);
    expect(row.oauthState).toBe('connected');
    expect(row.login).toBe(MAILBOX.email);
    expect(row.passwordCiphertext).toBeNull();
    expect(refreshToken).toBeTruthy();
    expect(row.oauthRefreshTokenCiphertext).not.toContain(refreshToken!);
    expect(await idp.introspect(accessToken!)).toMatchObject({ email: MAILBOX.email });
  });

  it('a refresh stores the rotated refresh token, and the one it replaced no longer works at the provider', async () => {
    const before = await storedTokens(processorId);
    const token = await getMailboxAccessToken({ db: testDb.db, key: env().secretKey, config: env(), processorId, force: true });
    expect(token.refreshed).toBe(true);
    const after = await storedTokens(processorId);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).toBe(token.accessToken);
    expect(await idp.introspect(token.accessToken)).toMatchObject({ email: MAILBOX.email });
    // While the stored token is good it is reused, with no request to the provider.
    const requests = idp.tokenRequests.length;
    const again = await getMailboxAccessToken({ db: testDb.db, key: env().secretKey, config: env(), processorId });
    expect(again).toMatchObject({ accessToken: token.accessToken, refreshed: false });
    expect(idp.tokenRequests.length).toBe(requests);
  });

  it('two refreshes of one mailbox at the same time are one after the other: both get a working token, the grant survives', async () => {
    const [a, b] = await Promise.all(
      [1, 2].map(() => getMailboxAccessToken({ db: testDb.db, key: env().secretKey, config: env(), processorId, force: true })),
    );
    expect(await idp.introspect(a!.accessToken)).not.toBeNull();
    expect(await idp.introspect(b!.accessToken)).not.toBeNull();
    const next = await getMailboxAccessToken({ db: testDb.db, key: env().secretKey, config: env(), processorId, force: true });
    expect(next.refreshed).toBe(true);
  });

  it('no procedure output holds a token or the client secret', async () => {
    const { refreshToken, accessToken } = await storedTokens(processorId);
    const outputs = [
      await callApi(admin, 'processors.list'),
      await callApi(admin, 'processors.get', { id: processorId }),
      await callApi(admin, 'oauth.providers'),
      await callApi(admin, 'oauth.saveProvider', { id: providerId, name: 'Test provider', kind: 'custom', issuerUrl: idp.issuer, clientId: idp.clientId, scopes: 'openid email offline_access' }),
    ];
    for (const output of outputs) {
      expect(output.error).toBeNull();
      const text = JSON.stringify(output.body);
      for (const secret of [refreshToken!, accessToken!, idp.clientSecret]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/Ciphertext/i);
    }
    const providers = (outputs[2]!.data as Array<{ hasClientSecret: boolean }>)[0]!;
    expect(providers.hasClientSecret).toBe(true);
  });

  it('only admins can start a connect flow or manage providers', async () => {
    for (const [user, status] of [
      [agent, 403],
      [null, 401],
    ] as const) {
      expect((await callApi(user, 'oauth.connect', { processorId })).status).toBe(status);
      expect((await callApi(user, 'oauth.providers')).status).toBe(status);
      expect((await callApi(user, 'oauth.saveProvider', { name: 'x', kind: 'custom', issuerUrl: idp.issuer, clientId: 'x', clientSecret: 'y', scopes: 'openid' })).status).toBe(status);
    }
  });

  it('a callback with a wrong state, from another session, or used twice is refused and changes nothing', async () => {
    const other = await createOAuthProcessor('other@leopard.test');
    const cookie = await sessionCookie(admin);
    const started = await callApiWithHeaders({ cookie }, 'oauth.connect', { processorId: other });
    const back = await signInAtProvider((started.data as { url: string }).url, MAILBOX);

    const wrongState = new URL(back);
    wrongState.searchParams.set('state', 'forged-state');
    expect((await callbackRoute(new Request(wrongState, { headers: { cookie } }))).status).toBe(403);

    // The same admin in another browser session (another sign-in), or an agent, holding the real answer.
    const anotherSession = await sessionCookie(admin);
    const refused = await callbackRoute(new Request(back, { headers: { cookie: anotherSession } }));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('does not belong to a connection started in this browser session');
    expect((await storedTokens(other)).row.oauthState).toBeNull();

    // The state was used up by that refused attempt: even the right session cannot replay it.
    expect((await callbackRoute(new Request(back, { headers: { cookie } }))).status).toBe(403);
    expect((await storedTokens(other)).refreshToken).toBeNull();
  });

  it('a client secret that expires within 14 days warns on the processor list', async () => {
    const inTenDays = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const saved = await callApi(admin, 'oauth.saveProvider', {
      id: providerId,
      name: 'Test provider',
      kind: 'custom',
      issuerUrl: idp.issuer,
      clientId: idp.clientId,
      secretExpiresOn: inTenDays,
      scopes: 'openid email offline_access',
    });
    expect(saved.error).toBeNull();
    const list = (await callApi(admin, 'processors.list')).data as Array<{ id: string; oauthSecretExpiry: { kind: string; text: string } | null }>;
    const row = list.find((p) => p.id === processorId)!;
    expect(row.oauthSecretExpiry).toMatchObject({ kind: 'expiring' });
    expect(row.oauthSecretExpiry!.text).toContain(`expires on ${inTenDays}`);
    await callApi(admin, 'oauth.saveProvider', { id: providerId, name: 'Test provider', kind: 'custom', issuerUrl: idp.issuer, clientId: idp.clientId, secretExpiresOn: null, scopes: 'openid email offline_access' });
    const after = (await callApi(admin, 'processors.list')).data as Array<{ id: string; oauthSecretExpiry: unknown }>;
    expect(after.find((p) => p.id === processorId)!.oauthSecretExpiry).toBeNull();
  });

  it('a revoked grant puts the processor into the reconnect state with the provider\'s words; no further refresh is tried until Reconnect', async () => {
    await idp.revokeGrants(MAILBOX.email);
    const before = idp.refreshRequests().length;
    const refuse = () => getMailboxAccessToken({ db: testDb.db, key: env().secretKey, config: env(), processorId, force: true });
    await expect(refuse()).rejects.toMatchObject({ code: 'OAUTH_RECONNECT_NEEDED' });
    await expect(refuse()).rejects.toMatchObject({ code: 'OAUTH_RECONNECT_NEEDED' });
    expect(idp.refreshRequests().length).toBe(before + 1);
    const view = (await callApi(admin, 'processors.get', { id: processorId })).data as { oauthState: string; oauthError: string };
    expect(view.oauthState).toBe('reconnect_needed');
    expect(view.oauthError).toMatch(/^invalid_grant/);

    const res = await connect(processorId, await sessionCookie(admin));
    expect(res.status).toBe(303);
    expect((await storedTokens(processorId)).row.oauthState).toBe('connected');
    expect((await getMailboxAccessToken({ db: testDb.db, key: env().secretKey, config: env(), processorId, force: true })).refreshed).toBe(true);
  });
});
