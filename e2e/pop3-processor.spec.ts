// A POP3 mailbox set up in the browser: the admin picks POP3, the form suggests POP3's ports, Test connection
// signs in over Dovecot's own POP3 service (upgraded with STLS), and mail delivered to the mailbox becomes a case.
import { expect, test } from '@playwright/test';
import { admin, signIn } from './fixtures';
import { deliver, mailbox, pop3Port } from './mailbox';

test('an admin creates a POP3 processor, tests it, and mail in the mailbox becomes a case', async ({ page }) => {
  const box = mailbox(8);
  const subject = `POP3 question ${Date.now()}`;
  await signIn(page, admin().email, admin().password);
  await page.goto('/admin/processors/new');
  const form = page.getByRole('form', { name: 'Email processor' });
  await form.getByLabel('Email address').fill(box.address);
  await form.getByLabel('Name').fill('POP3 support');
  await form.getByLabel('Server / IP address').fill('127.0.0.1');
  await form.getByLabel('Type').selectOption('pop3');
  // The untouched port follows the type; SSL stays as shown, with advice only.
  await expect(form.getByLabel('Port')).toHaveValue('995');
  await form.getByLabel('Port').fill(String(pop3Port()));
  await form.getByLabel('Use SSL').uncheck();
  await form.getByLabel('Port').fill('995');
  await expect(page.getByTestId('ssl-advice')).toHaveText('Port 995 usually expects SSL: tick Use SSL unless your server says otherwise.');
  await expect(form.getByLabel('Use SSL')).not.toBeChecked();
  await form.getByLabel('Port').fill(String(pop3Port()));
  await form.getByLabel('Login').fill(box.user);
  await form.getByLabel('Password').fill(box.password);
  await form.getByLabel('Accept an untrusted certificate').check();
  await form.getByLabel('Poll every (seconds)').fill('1');

  await form.getByRole('button', { name: 'Test connection' }).click();
  const result = page.getByTestId('test-connection-result');
  await expect(result).toContainText('Connected and signed in. INBOX holds 0 messages.');
  await expect(result).toContainText('upgraded with STLS');

  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: /POP3 support/ })).toBeVisible();
  await page.getByRole('button', { name: 'New filter' }).click();
  await page.getByRole('form', { name: 'New filter' }).getByRole('button', { name: 'Save filter' }).click();
  await expect(page.getByTestId('processor-state').first()).toHaveAttribute('data-state', 'idle', { timeout: 20_000 });

  await deliver(box, `From: Pat Customer <pat@customer.example>\nTo: ${box.address}\nSubject: ${subject}\nMessage-ID: <pop3-e2e-${Date.now()}@customer.example>\n\nMy printer is on fire.\n`);
  await page.goto('/cases');
  await expect(page.getByText(subject)).toBeVisible({ timeout: 20_000 });

  await page.goto('/admin/processors');
  await expect(page.getByTestId('processor-table')).toContainText('POP3, polled every 1 s');
});
