// The agent workspace in a real browser, against the production build and the real web server.
// Cases are written straight into the e2e database and announced with the same NOTIFY the intake
// uses (publishCaseEvent), so these tests need no mailbox or worker.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, expect, type Page, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { createPool } from '../server/db/client';
import { attachments, caseMessages, cases, contacts, users } from '../server/db/schema';
import { formatCaseNumber } from '../server/domain/case-number';
import { caseEventSummary, publishCaseEvent } from '../server/services/case-events';
import { createUser } from '../server/services/users';
import { admin, signIn } from './fixtures';

const ONE_PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

// Every "remote" address in the hostile mail points at this local server, which records what it is
// asked for: a request the page makes reaches it for certain, even one from a frame that Playwright's
// request events have not caught up with yet (seen with React-inserted srcdoc frames).
let canary: { url: string; hits: string[]; close: () => Promise<void> };

async function startCanary() {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function hostileHtml(remote: string) {
  return `
<html><head>
<base href="${remote}/base/">
<meta http-equiv="refresh" content="0;url=${remote}/refresh">
<link rel="stylesheet" href="${remote}/link.css">
<style>@import url(${remote}/import.css); body { background: url(${remote}/style-bg.png) } p { color: #123456 }</style>
</head><body onload="console.log('pwned-onload')">
<p>Hello from the attacker</p>
<script>console.log('pwned-script'); alert('pwned-script')</script>
<script src="${remote}/script.js"></script>
<img src="x" onerror="console.log('pwned-onerror'); alert('pwned-onerror')">
<a href="javascript:alert('pwned-link')">click me</a>
<a href="${remote}/docs" onclick="alert('pwned-click')">a real link</a>
<iframe src="${remote}/frame"></iframe>
<object data="${remote}/object.swf"></object>
<form action="${remote}/form"><input name="password"><button formaction="${remote}/button">Send</button></form>
<div style="width: expression(alert('pwned-css')); background-image: url(${remote}/inline-style.png)">styled</div>
<svg><script>alert('pwned-svg')</script></svg>
<img src="cid:logo@e2e" alt="inline logo">
<img src="${remote}/tracker.gif" alt="tracking pixel">
</body></html>`;
}

type Pool = ReturnType<typeof createPool>;
let pool: Pool;
const agentB = { email: 'agent-b@e2e.test', password: 'agent-b-password-1', name: 'Agent B' };

test.beforeAll(async () => {
  pool = createPool(process.env.E2E_DATABASE_URL!, { max: 2, applicationName: 'leopard-e2e' });
  canary = await startCanary();
  // Playwright reruns beforeAll in a fresh worker after a failure: the agent may exist already.
  const [existing] = await pool.db.select().from(users).where(eq(users.email, agentB.email));
  if (!existing) await createUser({ db: pool.db, actor: null, input: { ...agentB, role: 'agent' } });
});

test.afterAll(async () => {
  await canary.close();
  await pool.sql.end({ timeout: 5 });
});

/** A case as the intake would leave it, announced to browsers after commit. */
type CaseValues = {
  subject: string;
  html?: string;
  text?: string;
  contactEmail?: string;
  message?: Partial<Pick<typeof caseMessages.$inferInsert, 'senderSource' | 'deliveryReport' | 'fromAddress' | 'fromName'>>;
};

async function createCase(values: CaseValues) {
  return pool.db.transaction(async (tx) => {
    const [created] = await tx.insert(cases).values({ subject: values.subject }).returning();
    if (values.contactEmail) {
      const [contact] = await tx.insert(contacts).values({ email: values.contactEmail, firstName: 'Sam', createdByCaseId: created.id }).returning();
      await tx.update(cases).set({ contactId: contact.id }).where(eq(cases.id, created.id));
    }
    const [message] = await tx
      .insert(caseMessages)
      .values({
        caseId: created.id,
        direction: 'inbound',
        threadReason: 'new',
        fromAddress: values.contactEmail ?? 'someone@example.test',
        fromName: 'Sam Sender',
        subject: values.subject,
        textBody: values.text ?? null,
        htmlBody: values.html ?? null,
        ...values.message,
      })
      .returning();
    if (values.html?.includes('cid:logo@e2e')) {
      await tx.insert(attachments).values({
        caseMessageId: message.id,
        filename: 'logo.png',
        contentType: 'image/png',
        size: ONE_PIXEL_PNG.length,
        contentId: 'logo@e2e',
        inline: true,
        content: ONE_PIXEL_PNG,
      });
    }
    await publishCaseEvent(tx, { type: 'case.created', case: caseEventSummary(created) });
    return { ...created, caseNumber: formatCaseNumber(created.number) };
  });
}

async function openSignedIn(browser: Browser, who: { email: string; password: string }): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, who.email, who.password);
  return page;
}

async function waitUntilLive(page: Page) {
  await expect(page.getByTestId('live-indicator').first()).toHaveAttribute('data-status', 'live');
}

function caseRow(page: Page, caseNumber: string) {
  return page.locator(`[data-testid="case-row"][data-case-number="${caseNumber}"]`);
}

test('an email with hostile HTML runs nothing and loads nothing remote until the agent allows images', async ({ page }) => {
  const hostile = await createCase({ subject: 'Hostile HTML', html: hostileHtml(canary.url) });
  const dialogs: string[] = [];
  const consoleMessages: string[] = [];
  const remoteRequests: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => consoleMessages.push(message.text()));
  page.on('request', (request) => {
    if (request.url().startsWith(canary.url)) remoteRequests.push(request.url());
  });

  await signIn(page, admin().email, admin().password);
  await page.goto(`/cases/${hostile.caseNumber}`);
  const frame = page.frameLocator('[data-testid="message-frame"]');
  await expect(frame.getByText('Hello from the attacker')).toBeVisible();
  await expect(frame.getByText('[remote image blocked: tracking pixel]')).toBeVisible();
  // The inline image loads from our attachment route (by signed link: the sandboxed frame sends no
  // cookie). Once it has, the frame has done all the loading it is going to do.
  await expect
    .poll(() => frame.locator('img[alt="inline logo"]').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBe(1);
  await frame.getByText('click me').click();

  expect(dialogs).toEqual([]);
  expect(consoleMessages.filter((m) => /pwned|Content Security Policy/i.test(m))).toEqual([]);
  expect(canary.hits).toEqual([]);
  expect(remoteRequests).toEqual([]);

  await page.getByRole('button', { name: 'Show remote images' }).click();
  await expect(page.getByText('Remote images are shown for this message.')).toBeVisible();
  await expect.poll(() => canary.hits).toEqual(['/tracker.gif']);

  expect(dialogs).toEqual([]);
  expect(consoleMessages.filter((m) => m.includes('pwned'))).toEqual([]);
});

test('a new case appears at the top of an open list, highlighted, without a reload', async ({ page }) => {
  await signIn(page, admin().email, admin().password);
  await waitUntilLive(page);
  await page.evaluate(() => ((window as unknown as { leopardMarker: number }).leopardMarker = 1));

  const arrived = await createCase({ subject: `Arrived live ${Date.now()}`, text: 'Hello' });
  const row = caseRow(page, arrived.caseNumber);
  await expect(row).toBeVisible();
  await expect(row).toHaveClass(/arrived/);
  await expect(row).toHaveClass(/unread/);
  await expect(page.getByTestId('case-row').first()).toHaveAttribute('data-case-number', arrived.caseNumber);
  expect(await page.evaluate(() => (window as unknown as { leopardMarker?: number }).leopardMarker)).toBe(1);
});

test('agent A changes a status and agent B’s open list shows it without a reload', async ({ browser }) => {
  const shared = await createCase({ subject: `Shared case ${Date.now()}`, text: 'Please help' });
  const pageA = await openSignedIn(browser, admin());
  const pageB = await openSignedIn(browser, agentB);
  await waitUntilLive(pageB);
  await expect(caseRow(pageB, shared.caseNumber).getByTestId('case-status')).toHaveText('New');
  await pageB.evaluate(() => ((window as unknown as { leopardMarker: number }).leopardMarker = 1));

  await pageA.goto(`/cases/${shared.caseNumber}`);
  await pageA.getByLabel('Status', { exact: true }).selectOption('pending');
  await pageA.getByRole('button', { name: 'Save changes' }).click();
  await expect(pageA.getByText(`${shared.caseNumber} saved.`)).toBeVisible();

  await expect(caseRow(pageB, shared.caseNumber).getByTestId('case-status')).toHaveText('Pending');
  expect(await pageB.evaluate(() => (window as unknown as { leopardMarker?: number }).leopardMarker)).toBe(1);
  await pageA.context().close();
  await pageB.context().close();
});

test('marking a case as spam deletes the contact its email created, and the contacts page no longer lists it', async ({ page }) => {
  await createCase({ subject: 'A real question', text: 'Hello', contactEmail: 'customer@e2e-real.test' });
  const spam = await createCase({ subject: 'Cheap watches', text: 'Buy now', contactEmail: 'spammer@e2e-spam.test' });
  await signIn(page, admin().email, admin().password);
  await page.goto('/contacts');
  await expect(page.getByTestId('contact-table')).toContainText('spammer@e2e-spam.test');
  await expect(page.getByTestId('contact-table')).toContainText('customer@e2e-real.test');

  await page.goto(`/cases/${spam.caseNumber}`);
  await page.getByRole('button', { name: 'Mark as spam' }).click();
  await expect(page.getByTestId('spam-outcome')).toHaveText(
    'Marked as spam. The contact spammer@e2e-spam.test that this email created was deleted.',
  );
  await expect(page.getByRole('button', { name: 'Not spam' })).toBeVisible();

  await page.getByRole('link', { name: 'Contacts' }).click();
  await expect(page.getByTestId('contact-table')).toContainText('customer@e2e-real.test');
  await expect(page.getByTestId('contact-table')).not.toContainText('spammer@e2e-spam.test');
});

test('a bounce shows its failed recipient, status and diagnostic as a notice, and a sender found in Sender says so', async ({ page }) => {
  const bounce = await createCase({
    subject: 'Undelivered Mail Returned to Sender',
    text: 'Your message could not be delivered.',
    message: {
      fromAddress: 'postmaster@relay.e2e.test',
      fromName: '',
      senderSource: 'sender',
      deliveryReport: {
        reportingMta: 'relay.e2e.test',
        arrivalDate: null,
        recipients: [
          { finalRecipient: 'gone@e2e.test', originalRecipient: null, action: 'failed', status: '5.1.1', diagnosticCode: '550 5.1.1 User unknown', remoteMta: null },
        ],
        originalMessageId: 'reply-1@e2e.test',
        originalReferences: [],
        originalSubject: 'Printer on fire',
      },
    },
  });
  await signIn(page, admin().email, admin().password);
  await page.goto(`/cases/${bounce.caseNumber}`);
  const notice = page.getByTestId('delivery-report');
  await expect(notice).toContainText('Delivery failed: the message "Printer on fire" did not reach one recipient.');
  await expect(notice.getByTestId('delivery-recipient')).toContainText('gone@e2e.test: not delivered (status 5.1.1)550 5.1.1 User unknown');
  await expect(page.getByTestId('sender-source')).toHaveText('Sender taken from the Sender header: the From header has no usable address.');
  await expect(page.locator('pre.message-text')).toHaveText('Your message could not be delivered.');
});
