// An OAuth2 POP3 mailbox against real servers: an authorization server (oidc-provider) issuing access tokens that
// live 60 s, Dovecot's POP3 service checking each login's XOAUTH2 token (AUTH XOAUTH2 with an initial response) by
// introspection, and the real worker process. A POP3 session signs in anew at every poll, so each poll uses a
// token that is still good: renewed past its lifetime, mail keeps arriving.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailProcessors } from '../server/db/schema';
import { completeOAuthConnect, startOAuthConnect } from '../server/services/oauth-connect';
import { saveOAuthProvider } from '../server/services/oauth-providers';
import type { OAuthEnv } from '../server/services/oauth-tokens';
import { createProcessor } from '../server/services/processors';
import { createFilter } from '../server/services/filters';
import { startSession } from '../server/services/sessions';
import { testProcessorConnection } from '../server/services/processor-connection';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { signInAtProvider } from '../test/harness/oidc-browser';
import { type OidcProviderHarness, startOidcProvider } from '../test/harness/oidc-provider';
import { rawMail } from '../test/harness/raw-mail';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

const PUBLIC_URL = 'http://127.0.0.1:3997';
const ACCESS_TOKEN_TTL_S = 5;
const secretKey = randomBytes(32);
const oauthConfig = { publicUrl: PUBLIC_URL } as OAuthEnv;
const MAILBOX = { email: 'pop3-oauth@leopard.test', password: 'provider-Pa55' };

let idp: OidcProviderHarness;
let dovecot: DovecotHarness;
let testDb: TestDatabase;
let mailboxes: MailboxHarness;
let worker: WorkerProcess | undefined;
let admin: { id: string; email: string };
let processorId: string;

beforeAll(async () => {
  idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/api/oauth/callback`], accessTokenTtlSeconds: ACCESS_TOKEN_TTL_S });
  idp.addUser(MAILBOX.email, MAILBOX.password);
  [dovecot, testDb] = await Promise.all([
    startDovecot({ oauth2: { introspectionUrlWithCredentials: idp.introspection.urlWithCredentials, usernameAttribute: 'email' } }),
    createTestDatabase(),
  ]);
  admin = await seedAdmin(testDb.db);
  mailboxes = mailboxHarness({ dovecot, db: testDb.db, admin, secretKey });
  await dovecot.addUser(MAILBOX.email);
  const provider = await saveOAuthProvider({
    db: testDb.db,
    actor: admin,
    key: secretKey,
    input: { name: 'Test provider', kind: 'custom', issuerUrl: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, scopes: 'openid email offline_access' },
  });
  const processor = await createProcessor({
    db: testDb.db,
    actor: admin,
    key: secretKey,
    input: {
      emailAddress: MAILBOX.email,
      name: 'POP3 OAuth box',
      active: true,
      host: '127.0.0.1',
      type: 'pop3',
      port: dovecot.pop3Port,
      useSsl: false,
      login: '',
      autoReply: false,
      allowUntrustedCert: false,
      authMethod: 'oauth2',
      oauthProviderId: provider.id,
      pollIntervalSeconds: 1,
    },
  });
  processorId = processor.id;
  await createFilter({
    db: testDb.db,
    actor: admin,
    input: { processorId, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
  });
  const session = { sessionId: await startSession({ db: testDb.db, userId: admin.id }), user: { ...admin, name: 'Admin', role: 'admin' as const } };
  const url = await startOAuthConnect({ db: testDb.db, key: secretKey, config: oauthConfig, session, processorId });
  const back = await signInAtProvider(url, MAILBOX);
  await completeOAuthConnect({ db: testDb.db, key: secretKey, config: oauthConfig, session, query: back.searchParams });
  worker = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem, env: { PUBLIC_URL } });
  await worker.ready();
}, 60_000);

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await Promise.all([dovecot?.stop(), idp?.close()]);
  await testDb?.drop();
});

describe('a POP3 mailbox that signs in with OAuth2', () => {
  it('signs in with AUTH XOAUTH2 at every poll and keeps taking mail past the access token lifetime', async () => {
    await mailboxes.waitForIdle(processorId);
    await dovecot.append(MAILBOX.email, rawMail({ subject: 'POP3 OAuth first', to: MAILBOX.email }));
    await mailboxes.waitForInbound(processorId, 1);
    const refreshesBefore = idp.refreshRequests().length;
    // Past the token's lifetime: the next polls need a renewed token.
    await eventually('a renewed access token', async () => idp.refreshRequests().length, (n) => n > refreshesBefore, 30_000);
    await dovecot.append(MAILBOX.email, rawMail({ subject: 'POP3 OAuth second', to: MAILBOX.email }));
    await mailboxes.waitForInbound(processorId, 2);
    const [row] = await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId));
    expect(row).toMatchObject({ lastError: null, oauthState: 'connected' });
  }, 90_000);

  it('tests the connection of a POP3 OAuth2 processor with a fresh token', async () => {
    const result = await testProcessorConnection({
      db: testDb.db,
      actor: admin,
      key: secretKey,
      oauthConfig,
      input: { id: processorId, type: 'pop3', host: '127.0.0.1', port: dovecot.pop3Port, useSsl: false, login: MAILBOX.email, allowUntrustedCert: true },
    });
    expect(result).toMatchObject({ ok: true, messageCount: 2, encryption: 'starttls' });
  });
});
