import { expect, test } from '@playwright/test';
import { admin, signIn, signOut } from './fixtures';
import { imapPort, mailbox } from './mailbox';

test('an admin connects a mailbox, tests it, adds the default filter and sees it start', async ({ page }) => {
  const box = mailbox(0);
  await signIn(page, admin().email, admin().password);
  await page.getByRole('button', { name: 'CRM Admin' }).click();
  await page.getByRole('link', { name: 'Email processors' }).click();
  await page.getByRole('link', { name: 'New email processor' }).click();
  const form = page.getByRole('form', { name: 'Email processor' });

  // Every field is required: an empty save explains each problem on its field.
  await form.getByLabel('Port').fill('');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByText('Enter the mailbox address, like support@example.com.')).toBeVisible();
  await expect(form.getByText('Enter the mail server, like mail.example.com.')).toBeVisible();

  await form.getByLabel('Email address').fill(box.address);
  await form.getByLabel('Name').fill('Support');
  await form.getByLabel('Server / IP address').fill('127.0.0.1');
  await form.getByLabel('Port').fill(String(imapPort()));
  // The harness port is plain IMAP (upgraded with STARTTLS); typing it leaves Use SSL as shown.
  await expect(form.getByLabel('Use SSL')).toBeChecked();
  await form.getByLabel('Use SSL').uncheck();
  await form.getByLabel('Login').fill(box.user);

  await form.getByLabel('Password').fill('not-the-password');
  await form.getByRole('button', { name: 'Test connection' }).click();
  const result = page.getByTestId('test-connection-result');
  // The harness server upgrades with STARTTLS and presents a self-signed certificate.
  await expect(result).toContainText(/certificate/i);

  await form.getByLabel('Accept an untrusted certificate').check();
  await form.getByRole('button', { name: 'Test connection' }).click();
  await expect(result).toContainText(/password/i);

  await form.getByLabel('Password').fill(box.password);
  await form.getByRole('button', { name: 'Test connection' }).click();
  await expect(result).toContainText('Connected and signed in. INBOX holds 0 messages.');
  await expect(result).toContainText('upgraded with STARTTLS');

  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: /Support/ })).toBeVisible();
  await expect(page.getByTestId('processor-state').first()).toHaveAttribute('data-state', 'needs_filter');

  await page.getByRole('button', { name: 'New filter' }).click();
  const filterForm = page.getByRole('form', { name: 'New filter' });
  await expect(filterForm.getByLabel('Match field')).toHaveValue('');
  await filterForm.getByRole('button', { name: 'Save filter' }).click();
  await expect(page.getByTestId('filter-table')).toContainText('Every message (default filter)');
  // The worker hears of the new filter, connects and reports the mailbox up to date.
  await expect(page.getByTestId('processor-state').first()).toHaveAttribute('data-state', 'idle', { timeout: 20_000 });

  await page.getByRole('link', { name: 'Email processors' }).first().click();
  await expect(page.getByTestId('processor-table')).toContainText(box.address);
  await expect(page.getByTestId('processor-table').getByTestId('processor-state')).toHaveAttribute('data-state', 'idle');
});

test('a filter with a broken regular expression is refused on its field, and a pasted sample shows what matches', async ({ page }) => {
  const box = mailbox(1);
  await signIn(page, admin().email, admin().password);
  await page.goto('/admin/processors/new');
  const form = page.getByRole('form', { name: 'Email processor' });
  await form.getByLabel('Email address').fill(box.address);
  await form.getByLabel('Name').fill('Sales');
  await form.getByLabel('Server / IP address').fill('127.0.0.1');
  await form.getByLabel('Port').fill(String(imapPort()));
  await form.getByLabel('Use SSL').uncheck();
  await form.getByLabel('Login').fill(box.user);
  await form.getByLabel('Password').fill(box.password);
  await form.getByLabel('Accept an untrusted certificate').check();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: /Sales/ })).toBeVisible();

  await page.getByRole('button', { name: 'New filter' }).click();
  let filterForm = page.getByRole('form', { name: 'New filter' });
  await filterForm.getByLabel('Match field').selectOption('subject');
  await filterForm.getByLabel('Match rule').selectOption('regex');
  await filterForm.getByLabel('Match value').fill('(unclosed');
  await filterForm.getByRole('button', { name: 'Save filter' }).click();
  await expect(filterForm.locator('.field-error')).toContainText(/regular expression/i);
  // Look-around could make matching take unbounded time: refused, saying so.
  await filterForm.getByLabel('Match value').fill('urgent(?!ly)');
  await filterForm.getByRole('button', { name: 'Save filter' }).click();
  await expect(filterForm.locator('.field-error')).toContainText('Look-ahead and look-behind');

  await filterForm.getByLabel('Match value').fill('^urgent');
  await filterForm.getByLabel('Case priority').selectOption({ label: 'Urgent' });
  await filterForm.getByLabel('Stop filtering').check();
  await filterForm.getByRole('button', { name: 'Save filter' }).click();
  await expect(page.getByTestId('filter-table')).toContainText('Subject matches regular expression "^urgent"');

  await page.getByRole('button', { name: 'New filter' }).click();
  filterForm = page.getByRole('form', { name: 'New filter' });
  await filterForm.getByLabel('Case priority').selectOption({ label: 'Low' });
  await filterForm.getByRole('button', { name: 'Save filter' }).click();
  await expect(page.getByTestId('filter-table').locator('tbody tr')).toHaveCount(2);

  const sample = page.getByLabel('Sample message');
  await sample.fill('From: Jane <jane@customer.example>\nTo: sales@example.com\nSubject: URGENT: broken\n\nHelp');
  await page.getByRole('button', { name: 'Try filters' }).click();
  await expect(page.getByTestId('try-result')).toContainText('filter #1');
  await expect(page.getByTestId('try-result')).toContainText('Urgent');

  await sample.fill('From: Jane <jane@customer.example>\nTo: sales@example.com\nSubject: a question\n\nHello');
  await page.getByRole('button', { name: 'Try filters' }).click();
  await expect(page.getByTestId('try-result')).toContainText('filter #2');
  await expect(page.getByTestId('try-result')).toContainText('Low');

  // The saved password stays with its server: another port without the password sends nothing.
  const edit = page.getByRole('form', { name: 'Email processor' });
  await edit.getByLabel('Port').fill('1');
  await edit.getByRole('button', { name: 'Test connection' }).click();
  await expect(edit.getByText('Type the password again: the server settings changed.').first()).toBeVisible();
});

test('an agent is refused every admin page and admin API', async ({ page }) => {
  await signIn(page, admin().email, admin().password);
  await page.goto('/admin/users');
  const form = page.getByRole('form', { name: 'Add a user' });
  await form.getByLabel('Name').fill('Bert Agent');
  await form.getByLabel('Email').fill('bert@e2e.test');
  await form.getByLabel('Password').fill('bert-password-1');
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByText('Bert Agent can now sign in.')).toBeVisible();
  await signOut(page);

  await signIn(page, 'bert@e2e.test', 'bert-password-1');
  for (const path of ['/admin/processors', '/admin/processors/new', '/admin/quarantine', '/admin/audit', '/admin/users']) {
    await page.goto(path);
    await expect(page.getByTestId('not-allowed')).toBeVisible();
  }
  expect((await page.request.get('/api/trpc/processors.list')).status()).toBe(403);
});
