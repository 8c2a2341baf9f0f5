// Mail through the whole product: delivered into a Dovecot mailbox by IMAP APPEND, taken by the
// real worker, shown by the real web server in the agent's open browser without a reload.
import { expect, type Page, test } from '@playwright/test';
import { sql } from 'drizzle-orm';
import { createPool } from '../server/db/client';
import { createFilter } from '../server/services/filters';
import { createProcessor } from '../server/services/processors';
import { admin, signIn } from './fixtures';
import { deliver, imapPort, mailbox } from './mailbox';

const box = mailbox(2);
const subject = `Invoice ${Date.now()} is wrong`;

test.beforeAll(async () => {
  const pool = createPool(process.env.E2E_DATABASE_URL!, { max: 1, applicationName: 'leopard-e2e-setup' });
  try {
    const [actor] = await pool.db.execute<{ id: string; email: string }>(sql`select id, email from users where role = 'admin' limit 1`);
    // A retry of this file runs beforeAll again: the processor made the first time is still there.
    const [existing] = await pool.db.execute<{ id: string }>(sql`select id from email_processors where email_address = ${box.address}`);
    if (existing) return;
    const processor = await createProcessor({
      db: pool.db,
      actor,
      key: Buffer.from(process.env.E2E_SECRET_KEY!, 'base64'),
      input: {
        emailAddress: box.address,
        name: 'Live mail',
        active: true,
        host: '127.0.0.1',
        type: 'imap',
        port: imapPort(),
        useSsl: false,
        login: box.user,
        password: box.password,
        autoReply: true,
        allowUntrustedCert: true,
      },
    });
    await createFilter({
      db: pool.db,
      actor,
      input: { processorId: processor.id, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
    });
  } finally {
    await pool.sql.end({ timeout: 5 });
  }
});

async function markPage(page: Page) {
  await page.evaluate(() => ((window as unknown as { leopardMarker: number }).leopardMarker = 1));
}
async function expectNoReload(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { leopardMarker?: number }).leopardMarker)).toBe(1);
}

test('mail delivered to the mailbox appears in the open list, its tagged reply reopens the open case, and spam removes the contact it created', async ({ page }) => {
  await signIn(page, admin().email, admin().password);
  await expect(page.getByTestId('live-indicator').first()).toHaveAttribute('data-status', 'live');
  await markPage(page);

  await deliver(box, `From: Nora Newcomer <nora@newcomer.example>\nTo: ${box.address}\nSubject: ${subject}\nMessage-ID: <first-${Date.now()}@newcomer.example>\n\nThe total is twice what we agreed.`);
  const row = page.getByTestId('case-row').filter({ hasText: subject });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await expect(row.getByTestId('case-status')).toHaveText('New');
  await expectNoReload(page);
  const caseNumber = await row.getAttribute('data-case-number');
  expect(caseNumber).toMatch(/^LC\d{7}$/);

  await row.getByRole('link').first().click();
  await expect(page).toHaveURL(new RegExp(`/cases/${caseNumber}$`));
  await page.getByLabel('Status', { exact: true }).selectOption('open');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(`${caseNumber} saved.`)).toBeVisible();
  await expect(page.locator('.case-header').getByTestId('case-status')).toHaveText('Open');
  await expect(page.getByTestId('message')).toHaveCount(2); // Nora's mail and our auto-reply
  await markPage(page);

  await deliver(box, `From: Nora Newcomer <nora@newcomer.example>\nTo: ${box.address}\nSubject: Re: [${caseNumber}] ${subject}\n\nAny news?`);
  await expect(page.getByTestId('message')).toHaveCount(3, { timeout: 15_000 });
  await expect(page.getByTestId('message').last()).toContainText('Any news?');
  await expect(page.getByTestId('thread-reason').last()).toHaveAttribute('data-reason', 'tag');
  await expect(page.locator('.case-header').getByTestId('case-status')).toHaveText('New');
  await expectNoReload(page);

  await page.goto('/contacts');
  await expect(page.getByTestId('contact-table')).toContainText('nora@newcomer.example');
  await page.goto(`/cases/${caseNumber}`);
  await page.getByRole('button', { name: 'Mark as spam' }).click();
  await expect(page.getByTestId('spam-outcome')).toContainText('nora@newcomer.example');
  await expect(page.getByTestId('spam-outcome')).toContainText('deleted');
  await page.goto('/contacts');
  // Wait for the list or its empty state, not the loading line, before checking an absence.
  await expect(page.getByTestId('contact-table').or(page.locator('.empty'))).toBeVisible();
  await expect(page.getByText('nora@newcomer.example')).toHaveCount(0);
});
