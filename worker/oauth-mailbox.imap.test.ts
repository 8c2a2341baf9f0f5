// An OAuth2 mailbox end to end against real servers: an authorization server (oidc-provider) issuing access tokens
// that live 60 s and rotating the refresh token on every use, Dovecot checking each IMAP login's XOAUTH2 token by
// introspection, and an SMTP server checking the auto-replies' XOAUTH2 the same way. The real worker process.
//
// The issue asks for 5 minutes of steady mail; this runs 130 s (three token lifetimes and more) to keep the tier's
// time in bounds: long enough for three renewals while the connection idles.
import { randomBytes } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseMessages, emailProcessors } from '../server/db/schema';
import { normalizeMessageId } from '../server/domain/message-id';
import { completeOAuthConnect, startOAuthConnect } from '../server/services/oauth-connect';
import { saveOAuthProvider } from '../server/services/oauth-providers';
import type { OAuthEnv } from '../server/services/oauth-tokens';
import { createProcessor } from '../server/services/processors';
import { createFilter } from '../server/services/filters';
import { startSession } from '../server/services/sessions';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { mailboxHarness, type MailboxHarness, seedAdmin } from '../test/harness/mailboxes';
import { signInAtProvider } from '../test/harness/oidc-browser';
import { type OidcProviderHarness, startOidcProvider } from '../test/harness/oidc-provider';
import { rawMail, uniqueMessageId } from '../test/harness/raw-mail';
import { createSelfSignedCert } from '../test/harness/self-signed-cert';
import { type FakeSmtpServer, startSmtpServer } from '../test/harness/smtp-server';
import { createTestDatabase, type TestDatabase } from '../test/harness/test-database';
import { eventually, startWorker, type WorkerProcess } from '../test/harness/worker-process';

const PUBLIC_URL = 'http://127.0.0.1:3998';
const ACCESS_TOKEN_TTL_S = 60;
const STEADY_MAIL_MS = 130_000;
const MAIL_EVERY_MS = 4_000;
const secretKey = randomBytes(32);
const oauthConfig = { publicUrl: PUBLIC_URL } as OAuthEnv;

let idp: OidcProviderHarness;
let dovecot: DovecotHarness;
let smtp: FakeSmtpServer;
let testDb: TestDatabase;
let mailboxes: MailboxHarness;
let worker: WorkerProcess | undefined;
let admin: { id: string; email: string };
let processorId: string;
const MAILBOX = { email: 'oauth-box@leopard.test', password: 'provider-Pa55' };

async function startTheWorker(): Promise<WorkerProcess> {
  const started = await startWorker({ databaseUrl: testDb.url, secretKey: secretKey.toString('base64'), trustedCertPem: dovecot.certPem, env: { PUBLIC_URL } });
  await started.ready();
  return started;
}

/** "Connect" / "Reconnect" as the admin's browser does it: one session, the provider's pages, the callback. */
async function connectMailbox(): Promise<void> {
  const session = { sessionId: await startSession({ db: testDb.db, userId: admin.id }), user: { ...admin, name: 'Admin', role: 'admin' as const } };
  const url = await startOAuthConnect({ db: testDb.db, key: secretKey, config: oauthConfig, session, processorId });
  const back = await signInAtProvider(url, MAILBOX);
  await completeOAuthConnect({ db: testDb.db, key: secretKey, config: oauthConfig, session, query: back.searchParams });
}

const processorRow = async () => (await testDb.db.select().from(emailProcessors).where(eq(emailProcessors.id, processorId)))[0]!;

async function storedAt(messageIds: string[]) {
  const ids = messageIds.map((m) => normalizeMessageId(m)!);
  return testDb.db
    .select({ messageId: caseMessages.messageId, createdAt: caseMessages.createdAt })
    .from(caseMessages)
    .where(and(eq(caseMessages.direction, 'inbound'), inArray(caseMessages.messageId, ids)));
}

beforeAll(async () => {
  idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/api/oauth/callback`], accessTokenTtlSeconds: ACCESS_TOKEN_TTL_S });
  idp.addUser(MAILBOX.email, MAILBOX.password);
  [dovecot, testDb] = await Promise.all([
    startDovecot({ oauth2: { introspectionUrlWithCredentials: idp.introspection.urlWithCredentials, usernameAttribute: 'email' } }),
    createTestDatabase(),
  ]);
  const cert = await createSelfSignedCert(dovecot.dir);
  smtp = await startSmtpServer({ tls: { certPem: cert.certPem, keyPem: cert.keyPem }, oauth2: { introspect: (token) => idp.introspect(token) } });
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
      name: 'OAuth box',
      active: true,
      host: '127.0.0.1',
      type: 'imap',
      port: dovecot.imapPort,
      useSsl: false,
      login: '',
      autoReply: true,
      allowUntrustedCert: false,
      authMethod: 'oauth2',
      oauthProviderId: provider.id,
    },
  });
  processorId = processor.id;
  await createFilter({
    db: testDb.db,
    actor: admin,
    input: { processorId, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
  });
  // Replies and auto-replies through the mailbox's own SMTP server, signed in with the same token.
  await testDb.db
    .update(emailProcessors)
    .set({ outgoingMode: 'smtp', smtpHost: '127.0.0.1', smtpPort: smtp.port, smtpSecurity: 'starttls', smtpPasswordCiphertext: null })
    .where(eq(emailProcessors.id, processorId));
  await connectMailbox();
  worker = await startTheWorker();
  await mailboxes.waitForIdle(processorId);
}, 60_000);

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await Promise.all([dovecot?.stop(), smtp?.close(), idp?.close()]);
  await testDb?.drop();
});

describe('an OAuth2 mailbox with access tokens of 60 s', () => {
  it('over steady mail the worker renews the token several times while IDLE stays up: nothing lost or doubled, auto-replies over SMTP XOAUTH2, push as prompt as with a password', async () => {
    const password = await mailboxes.connect({ autoReply: false });
    const refreshesBefore = idp.refreshRequests().length;
    const oauthIds: string[] = [];
    const passwordIds: string[] = [];
    const appendedAt = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; Date.now() - started < STEADY_MAIL_MS; i++) {
      const a = uniqueMessageId('oauth');
      const b = uniqueMessageId('password');
      appendedAt.set(normalizeMessageId(a)!, Date.now());
      await dovecot.append(MAILBOX.email, rawMail({ messageId: a, subject: `OAuth question ${i}`, from: `Customer ${i} <c${i}@customer.example>`, to: MAILBOX.email }));
      appendedAt.set(normalizeMessageId(b)!, Date.now());
      await dovecot.append(password.user, rawMail({ messageId: b, subject: `Password question ${i}`, from: `Customer ${i} <c${i}@customer.example>` }));
      oauthIds.push(a);
      passwordIds.push(b);
      await new Promise((r) => setTimeout(r, MAIL_EVERY_MS));
    }
    const oauthStored = await eventually('every OAuth2 mail stored', () => storedAt(oauthIds), (rows) => rows.length >= oauthIds.length, 20_000);
    const passwordStored = await eventually('every password mail stored', () => storedAt(passwordIds), (rows) => rows.length >= passwordIds.length, 20_000);
    expect(oauthStored).toHaveLength(oauthIds.length);
    expect(new Set(oauthStored.map((r) => r.messageId)).size).toBe(oauthIds.length);

    const renewals = idp.refreshRequests().slice(refreshesBefore);
    expect(renewals.length).toBeGreaterThanOrEqual(3);
    expect(renewals.every((r) => r.status === 200)).toBe(true);
    const row = await processorRow();
    expect(row.oauthState).toBe('connected');
    expect(row.syncStatus).toBe('idle');

    const median = (rows: Array<{ messageId: string | null; createdAt: Date }>) => {
      const delays = rows.map((r) => r.createdAt.getTime() - appendedAt.get(r.messageId!)!).sort((x, y) => x - y);
      return delays[Math.floor(delays.length / 2)]!;
    };
    // The figures, for the record of a run.
    console.info(
      `steady mail: ${oauthIds.length} OAuth2 + ${passwordIds.length} password messages in ${STEADY_MAIL_MS / 1000} s; ${renewals.length} renewals; median push-to-stored ${median(oauthStored)} ms (OAuth2) vs ${median(passwordStored)} ms (password)`,
    );
    expect(median(oauthStored)).toBeLessThan(2_000);
    expect(median(oauthStored)).toBeLessThan(median(passwordStored) + 500);

    const replies = await smtp.waitForMails(oauthIds.length, 30_000);
    expect(replies.every((m) => m.username === MAILBOX.email)).toBe(true);
    expect(new Set(replies.map((m) => m.envelope.to[0])).size).toBe(oauthIds.length);
  }, STEADY_MAIL_MS + 90_000);

  it('killed with SIGKILL right after a renewal, the restarted worker signs in with the rotated refresh token', async () => {
    const before = (await processorRow()).oauthRefreshedAt!.getTime();
    await eventually('the next renewal', processorRow, (p) => (p.oauthRefreshedAt?.getTime() ?? 0) > before, ACCESS_TOKEN_TTL_S * 1000);
    await worker!.kill('SIGKILL');
    // The access token stored with that renewal would let the next login skip the refresh token; expire it, so the
    // restart must use the rotated refresh token (the one it replaced was consumed: using it revokes the grant).
    await testDb.db.update(emailProcessors).set({ oauthAccessTokenExpiresAt: new Date(0), updatedAt: sql`${emailProcessors.updatedAt}` }).where(eq(emailProcessors.id, processorId));
    const messageId = uniqueMessageId('after-kill');
    await dovecot.append(MAILBOX.email, rawMail({ messageId, subject: 'After the kill', from: 'Kim <kim@customer.example>', to: MAILBOX.email }));
    const requestsBefore = idp.tokenRequests.length;
    worker = await startTheWorker();
    await eventually('the mail after the kill', () => storedAt([messageId]), (rows) => rows.length === 1, 30_000);
    const after = idp.tokenRequests.slice(requestsBefore);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after.every((r) => r.status === 200)).toBe(true);
    expect((await processorRow()).oauthState).toBe('connected');
  }, ACCESS_TOKEN_TTL_S * 1000 + 60_000);

  it('a revoked grant shows as reconnect needed within one renewal, with no retry storm; Reconnect resumes where it stopped', async () => {
    await idp.revokeGrants(MAILBOX.email);
    const requestsAtRevoke = idp.tokenRequests.length;
    const refused = await eventually('the reconnect state', processorRow, (p) => p.oauthState === 'reconnect_needed', ACCESS_TOKEN_TTL_S * 1000);
    expect(refused.oauthError).toMatch(/^invalid_grant/);
    // Mail that arrives meanwhile waits in the mailbox; the worker does not ask the provider again.
    const waiting = [uniqueMessageId('while-refused-1'), uniqueMessageId('while-refused-2')];
    for (const [i, id] of waiting.entries()) {
      await dovecot.append(MAILBOX.email, rawMail({ messageId: id, subject: `While refused ${i}`, from: `Lee ${i} <lee${i}@customer.example>`, to: MAILBOX.email }));
    }
    const quietUntil = Date.now() + 10_000;
    await eventually('ten quiet seconds', async () => Date.now(), (now) => now >= quietUntil, 15_000);
    console.info(`revoked grant: ${idp.tokenRequests.length - requestsAtRevoke} token request(s) from the revocation to ten seconds after the reconnect state`);
    expect(idp.tokenRequests.length - requestsAtRevoke).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${worker!.port}/metrics`)).text();
    expect(metrics).toContain(`leopard_oauth_refresh_failures_total{processor="${processorId}"} 1`);

    await connectMailbox();
    const stored = await eventually('the mail that waited', () => storedAt(waiting), (rows) => rows.length === 2, 30_000);
    expect(new Set(stored.map((r) => r.messageId)).size).toBe(2);
    await mailboxes.waitForIdle(processorId);
    expect((await processorRow()).oauthState).toBe('connected');
  }, ACCESS_TOKEN_TTL_S * 1000 + 60_000);
});
