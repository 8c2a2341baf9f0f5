// Security in a real browser: the headers every page carries (a nonce-based CSP that the app runs
// under without a single violation, no framing, nosniff, a Referrer-Policy), and live connections
// that end with the session: sign-out in another tab, deactivation by an admin.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, expect, type Page, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { createPool } from '../server/db/client';
import { caseMessages, cases, users } from '../server/db/schema';
import { formatCaseNumber } from '../server/domain/case-number';
import { caseEventSummary, publishCaseEvent } from '../server/services/case-events';
import { createUser, updateUser } from '../server/services/users';
import { admin, signIn, signOut } from './fixtures';
import { E2E_PORT } from './playwright.config';

type Pool = ReturnType<typeof createPool>;
let pool: Pool;

test.beforeAll(() => {
  pool = createPool(process.env.E2E_DATABASE_URL!, { max: 2, applicationName: 'leopard-e2e-security' });
});

test.afterAll(async () => {
  await pool.sql.end({ timeout: 5 });
});

/** An agent of this test alone (Playwright may rerun a test: a fresh address each time). */
async function newAgent(label: string) {
  const email = `${label}-${Date.now()}@e2e.test`;
  const password = `${label}-password-1`;
  const user = await createUser({ db: pool.db, actor: null, input: { email, name: label, role: 'agent', password } });
  return { id: user.id, email, password };
}

async function adminActor() {
  const [row] = await pool.db.select().from(users).where(eq(users.email, admin().email));
  return { id: row.id, email: row.email };
}

/** A case with one HTML message, announced to browsers after commit, as the intake does. */
async function createCase(subject: string) {
  return pool.db.transaction(async (tx) => {
    const [created] = await tx.insert(cases).values({ subject }).returning();
    await tx.insert(caseMessages).values({
      caseId: created.id,
      direction: 'inbound',
      threadReason: 'new',
      fromAddress: 'someone@example.test',
      fromName: 'Sam Sender',
      subject,
      htmlBody: '<p style="color: #234567">Styled <b>mail</b> text</p>',
    });
    await publishCaseEvent(tx, { type: 'case.created', case: caseEventSummary(created) });
    return { ...created, caseNumber: formatCaseNumber(created.number) };
  });
}

/** Every CSP violation the page reports, from the page and from its frames. */
async function recordViolations(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeBinding('leopardCspViolation', (_source, text: string) => violations.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { leopardCspViolation: (t: string) => void }).leopardCspViolation(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  context.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

async function openSignedIn(browser: Browser, who: { email: string; password: string }): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, who.email, who.password);
  return page;
}

function liveIndicator(page: Page) {
  return page.getByTestId('live-indicator').first();
}

test('every page carries a nonce CSP, no-framing, nosniff and a Referrer-Policy, and works under them without a violation', async ({ browser }) => {
  const context = await browser.newContext();
  const violations = await recordViolations(context);
  const page = await context.newPage();

  const first = await page.goto('/sign-in');
  const headers = first!.headers();
  const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonceOf(headers['content-security-policy'])).toBeTruthy();
  expect(headers['content-security-policy']).toContain("'strict-dynamic'");
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  // Not https here: no HSTS (the https case is a unit test of server/http/security-headers.ts).
  expect(headers['strict-transport-security']).toBeUndefined();
  // Every script Next.js rendered carries this response's nonce; a reload gets a new one.
  const nonce = nonceOf(headers['content-security-policy']);
  const scriptNonces = await page.locator('script').evaluateAll((scripts) => scripts.map((s) => (s as HTMLScriptElement).nonce));
  expect(scriptNonces.length).toBeGreaterThan(0);
  expect(new Set(scriptNonces)).toEqual(new Set([nonce]));
  expect(nonceOf((await page.reload())!.headers()['content-security-policy'])).not.toBe(nonce);

  // The app still runs: sign-in (client script), live updates (Socket.IO), client navigation, tRPC.
  await signIn(page, admin().email, admin().password);
  await expect(liveIndicator(page)).toHaveAttribute('data-status', 'live');
  const shown = await createCase(`CSP check ${Date.now()}`);
  await page.locator(`[data-testid="case-row"][data-case-number="${shown.caseNumber}"] a.case-subject`).click();
  await expect(page).toHaveURL(new RegExp(`/cases/${shown.caseNumber}$`));
  await expect(page.frameLocator('[data-testid="message-frame"]').getByText('Styled')).toBeVisible();
  await page.getByRole('link', { name: 'Contacts', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Contacts' })).toBeVisible();
  for (const [path, check] of [
    ['/admin/users', page.getByTestId('users-table')],
    ['/admin/processors', page.getByRole('heading', { name: 'Email processors' })],
    ['/admin/audit', page.getByRole('heading', { name: 'Audit log' })],
    ['/admin/quarantine', page.getByRole('heading', { name: /quarantine/i })],
  ] as const) {
    await page.goto(path);
    await expect(check).toBeVisible();
  }
  await page.goto('/no-such-page');
  await expect(page.getByText(/could not be found|404/i).first()).toBeVisible();

  expect(violations).toEqual([]);

  // The recorder does hear a violation: markup injected into the page (as an XSS would) cannot run
  // its inline handler. (Scripts added by page.evaluate itself are exempt from CSP in Chromium.)
  await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.leopardInjected = true">'));
  await expect.poll(() => violations.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => (window as unknown as { leopardInjected?: boolean }).leopardInjected)).toBeUndefined();
  await context.close();
});

test('another site cannot frame a page of Leopard, signed in or not', async ({ page }) => {
  const appOrigin = `http://127.0.0.1:${E2E_PORT}`;
  const framer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<iframe id="victim" src="${appOrigin}/admin/users"></iframe>`);
  });
  await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
  try {
    await signIn(page, admin().email, admin().password);
    // The frame gets no cookie from another site (SameSite=Lax), so it is sent on to /sign-in: both are refused.
    const blocked = page.waitForEvent(
      'requestfailed',
      (r) => r.url().startsWith(appOrigin) && r.failure()?.errorText === 'net::ERR_BLOCKED_BY_RESPONSE',
    );
    const reported = page.waitForEvent('console', (m) => m.text().includes(`violates the following Content Security Policy directive: "frame-ancestors 'none'"`));
    await page.goto(`http://localhost:${(framer.address() as AddressInfo).port}/`);
    await blocked;
    await reported;
    const victim = page.frames().find((f) => f !== page.mainFrame());
    expect(await victim?.locator('[data-testid="users-table"]').count()).toBe(0);
  } finally {
    await new Promise<void>((resolve) => framer.close(() => resolve()));
  }
});

test("signing out in one tab ends the other tab's live connection, and a copied session cookie gets 401", async ({ browser }) => {
  const agent = await newAgent('two-tabs');
  const firstTab = await openSignedIn(browser, agent);
  const secondTab = await firstTab.context().newPage();
  await secondTab.goto('/cases');
  await expect(liveIndicator(secondTab)).toHaveAttribute('data-status', 'live');
  const copied = (await firstTab.context().cookies()).find((c) => c.name === 'next-auth.session-token')!;
  expect((await firstTab.request.get('/api/trpc/session.me')).status()).toBe(200);

  await signOut(firstTab);

  await expect(liveIndicator(secondTab)).toHaveAttribute('data-status', 'signed-out', { timeout: 5_000 });
  const stranger = await browser.newContext();
  await stranger.addCookies([copied]);
  expect((await stranger.request.get('/api/trpc/session.me')).status()).toBe(401);
  await stranger.close();
  await firstTab.context().close();
});

test('an open page of a deactivated user stops being live within seconds and hears no more case events', async ({ browser }) => {
  const agent = await newAgent('deactivated');
  const agentPage = await openSignedIn(browser, agent);
  const adminPage = await openSignedIn(browser, admin());
  await expect(liveIndicator(agentPage)).toHaveAttribute('data-status', 'live');
  await expect(liveIndicator(adminPage)).toHaveAttribute('data-status', 'live');

  await updateUser({ db: pool.db, actor: await adminActor(), input: { id: agent.id, active: false } });

  await expect(liveIndicator(agentPage)).toHaveAttribute('data-status', 'signed-out', { timeout: 5_000 });
  const after = await createCase(`After deactivation ${Date.now()}`);
  const row = (page: Page) => page.locator(`[data-testid="case-row"][data-case-number="${after.caseNumber}"]`);
  await expect(row(adminPage)).toBeVisible();
  await expect(row(agentPage)).toHaveCount(0);
  await agentPage.context().close();
  await adminPage.context().close();
});

test("strangers' wrong passwords lock an account for new browsers only: the owner's browser still signs in", async ({ browser }) => {
  const agent = await newAgent('locked-out');
  const owners = await openSignedIn(browser, agent);
  expect((await owners.context().cookies()).map((c) => c.name)).toContain('leopard-device');
  await signOut(owners);

  const stranger = await (await browser.newContext()).newPage();
  const attempt = async (password: string) => {
    await stranger.goto('/sign-in');
    await stranger.getByLabel('Email').fill(agent.email);
    await stranger.getByLabel('Password').fill(password);
    await stranger.getByRole('button', { name: 'Sign in' }).click();
    // The form's own alert, not Next's route announcer (also role=alert).
    return stranger.locator('form [role="alert"]');
  };
  for (let i = 0; i < 5; i++) await expect(await attempt(`guess-${i}`)).toHaveText('Wrong email or password.');
  // Even the right password, from a browser new to the account, waits, and is told for how long.
  await expect(await attempt(agent.password)).toHaveText(
    'Too many failed sign-ins to this account. Try again in 15 minutes, or sign in from a browser you have signed in from before.',
  );

  await signIn(owners, agent.email, agent.password);
  expect((await owners.request.get('/api/trpc/session.me')).status()).toBe(200);
  await stranger.context().close();
  await owners.context().close();
});
