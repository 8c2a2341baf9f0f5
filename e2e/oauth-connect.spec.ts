// OAuth2 sign-in for a mailbox in the browser: the admin registers a provider under CRM Admin → OAuth providers,
// presses "Connect with …" on the processor, signs in and consents on the provider's own pages (a real
// oidc-provider on loopback), and lands back on the processor, which turns idle. Mail APPENDed then becomes a case
// and its auto-reply goes out over SMTP signed in with XOAUTH2. Dovecot and the SMTP server check every token by
// introspection at the provider.
import { expect, test } from '@playwright/test';
import { eq, sql } from 'drizzle-orm';
import { ImapFlow } from 'imapflow';
import { createPool } from '../server/db/client';
import { emailProcessors, oauthProviders } from '../server/db/schema';
import { createFilter } from '../server/services/filters';
import { createProcessor } from '../server/services/processors';
import { type DovecotHarness, startDovecot } from '../test/harness/dovecot';
import { type OidcProviderHarness, startOidcProvider } from '../test/harness/oidc-provider';
import { createSelfSignedCert } from '../test/harness/self-signed-cert';
import { type FakeSmtpServer, startSmtpServer } from '../test/harness/smtp-server';
import { admin, signIn } from './fixtures';
import { E2E_PORT } from './playwright.config';

const MAILBOX = { email: 'oauth-e2e@leopard.test', password: 'provider-Pa55' };

let idp: OidcProviderHarness;
let dovecot: DovecotHarness;
let smtp: FakeSmtpServer;
let mailboxPassword: string;

test.beforeAll(async () => {
  idp = await startOidcProvider({ redirectUris: [`http://127.0.0.1:${E2E_PORT}/api/oauth/callback`] });
  idp.addUser(MAILBOX.email, MAILBOX.password);
  dovecot = await startDovecot({ oauth2: { introspectionUrlWithCredentials: idp.introspection.urlWithCredentials, usernameAttribute: 'email' } });
  mailboxPassword = (await dovecot.addUser(MAILBOX.email)).password;
  const cert = await createSelfSignedCert(dovecot.dir);
  smtp = await startSmtpServer({ tls: { certPem: cert.certPem, keyPem: cert.keyPem }, oauth2: { introspect: (token) => idp.introspect(token) } });
});

test.afterAll(async () => {
  await Promise.all([dovecot?.stop(), smtp?.close(), idp?.close()]);
});

/** The processor as an admin leaves it after the form: OAuth2 with the provider, replies through its SMTP server. */
async function createOAuthProcessor(providerName: string): Promise<string> {
  const pool = createPool(process.env.E2E_DATABASE_URL!, { max: 1, applicationName: 'leopard-e2e-setup' });
  try {
    const [actor] = await pool.db.execute<{ id: string; email: string }>(sql`select id, email from users where role = 'admin' limit 1`);
    const [provider] = await pool.db.select({ id: oauthProviders.id }).from(oauthProviders).where(eq(oauthProviders.name, providerName));
    const processor = await createProcessor({
      db: pool.db,
      actor,
      key: Buffer.from(process.env.E2E_SECRET_KEY!, 'base64'),
      input: {
        emailAddress: MAILBOX.email,
        name: 'OAuth mailbox',
        active: true,
        host: '127.0.0.1',
        type: 'imap',
        port: dovecot.imapPort,
        useSsl: false,
        login: '',
        autoReply: true,
        // The harness's self-signed certificate, which the e2e worker was not told to trust.
        allowUntrustedCert: true,
        authMethod: 'oauth2',
        oauthProviderId: provider!.id,
      },
    });
    await createFilter({
      db: pool.db,
      actor,
      input: { processorId: processor.id, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
    });
    await pool.db
      .update(emailProcessors)
      .set({ outgoingMode: 'smtp', smtpHost: '127.0.0.1', smtpPort: smtp.port, smtpSecurity: 'starttls', smtpAllowUntrustedCert: true, smtpPasswordCiphertext: null })
      .where(eq(emailProcessors.id, processor.id));
    return processor.id;
  } finally {
    await pool.sql.end({ timeout: 5 });
  }
}

async function append(raw: string): Promise<void> {
  const client = new ImapFlow({ host: '127.0.0.1', port: dovecot.imapPort, secure: false, doSTARTTLS: false, auth: { user: MAILBOX.email, pass: mailboxPassword }, logger: false });
  await client.connect();
  try {
    await client.append('INBOX', Buffer.from(raw.replace(/\r?\n/g, '\r\n')));
  } finally {
    await client.logout();
  }
}

test('the admin connects a mailbox with OAuth2 on the provider page; it turns idle, mail becomes a case and the auto-reply goes out over SMTP with XOAUTH2', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, admin().email, admin().password);

  await page.goto('/admin/oauth-providers');
  await expect(page.getByTestId('oauth-redirect-uri')).toHaveText(`http://127.0.0.1:${E2E_PORT}/api/oauth/callback`);
  await page.getByRole('button', { name: 'Add a provider' }).click();
  const form = page.getByRole('form', { name: 'OAuth provider' });
  await form.getByLabel('Provider').selectOption('custom');
  await form.getByLabel('Name').fill('Test identity provider');
  await form.getByLabel('Issuer URL').fill(idp.issuer);
  await form.getByLabel('Client (application) id').fill(idp.clientId);
  await form.getByLabel('Client secret').fill(idp.clientSecret);
  await form.getByRole('button', { name: 'Save provider' }).click();
  const row = page.getByTestId('oauth-provider-table').getByRole('row').filter({ hasText: 'Test identity provider' });
  await expect(row).toContainText('stored');
  await expect(page.getByText(idp.clientSecret)).toHaveCount(0);

  const processorId = await createOAuthProcessor('Test identity provider');
  await page.goto(`/admin/processors/${processorId}`);
  const section = page.getByTestId('oauth-section');
  await expect(section).toHaveAttribute('data-oauth-state', 'not_connected');
  await section.getByRole('button', { name: 'Connect with Test identity provider' }).click();

  // The provider's own pages.
  await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/interaction/`));
  await page.getByLabel('Email').fill(MAILBOX.email);
  await page.getByLabel('Password').fill(MAILBOX.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Allow access' })).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();

  await expect(page).toHaveURL(new RegExp(`/admin/processors/${processorId}\\?connected=1$`));
  await expect(section).toHaveAttribute('data-oauth-state', 'connected');
  await expect(section).toContainText(`Connected as ${MAILBOX.email}`);
  await expect(page.getByTestId('processor-state').first()).toHaveAttribute('data-state', 'idle', { timeout: 30_000 });

  const subject = `Invoice question ${Date.now()}`;
  await append(`From: Olga Owner <olga@customer.example>\nTo: ${MAILBOX.email}\nSubject: ${subject}\nMessage-ID: <oauth-e2e-${Date.now()}@customer.example>\n\nWhere is my invoice?`);
  await page.goto('/cases');
  await expect(page.getByTestId('case-row').filter({ hasText: subject })).toBeVisible({ timeout: 30_000 });

  const [reply] = await smtp.waitForMails(1, 30_000);
  expect(reply!.username).toBe(MAILBOX.email);
  expect(reply!.envelope.to).toEqual(['olga@customer.example']);
});

test('on the processor form, OAuth2 with a Microsoft 365 provider fills in its IMAP server and hides the password', async ({ page }) => {
  await signIn(page, admin().email, admin().password);
  await page.goto('/admin/oauth-providers');
  await page.getByRole('button', { name: 'Add a provider' }).click();
  const form = page.getByRole('form', { name: 'OAuth provider' });
  await form.getByLabel('Name').fill('Contoso Microsoft 365');
  await form.getByLabel('Directory (tenant) id').fill('contoso.onmicrosoft.com');
  await form.getByLabel('Client (application) id').fill('11111111-2222-3333-4444-555555555555');
  await form.getByLabel('Client secret').fill('a-secret-never-shown');
  await expect(form.getByLabel('Scopes')).toHaveValue(/IMAP\.AccessAsUser\.All/);
  await form.getByRole('button', { name: 'Save provider' }).click();
  await expect(page.getByTestId('oauth-provider-table')).toContainText('Contoso Microsoft 365');

  await page.goto('/admin/processors/new');
  const processor = page.getByRole('form', { name: 'Email processor' });
  await expect(processor.getByLabel('Password', { exact: true })).toBeVisible();
  await processor.getByLabel('Sign-in method').selectOption('oauth2');
  await expect(processor.getByLabel('Password', { exact: true })).toHaveCount(0);
  await processor.getByLabel('OAuth provider').selectOption({ label: 'Contoso Microsoft 365' });
  await expect(processor.getByLabel('Server / IP address')).toHaveValue('outlook.office365.com');
  await expect(processor.getByLabel('Port')).toHaveValue('993');
  await expect(processor.getByLabel('Use SSL')).toBeChecked();
});
