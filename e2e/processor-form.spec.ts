// What a new admin met in the processor form: a port that silently unticked Use SSL, a Test
// connection that called a cleartext login plain success, and an Active box that did not follow
// Deactivate/Activate (so Save switched processing back on).
import { expect, type Page, test } from '@playwright/test';
import { startNoStarttlsProxy } from '../test/harness/no-starttls-proxy';
import { admin, signIn } from './fixtures';
import { imapPort, mailbox } from './mailbox';

async function newProcessorForm(page: Page) {
  await signIn(page, admin().email, admin().password);
  await page.goto('/admin/processors/new');
  return page.getByRole('form', { name: 'Email processor' });
}

test('typing a port never unticks or ticks Use SSL: the form only suggests, in words', async ({ page }) => {
  const form = await newProcessorForm(page);
  const ssl = form.getByLabel('Use SSL');
  const advice = form.getByTestId('ssl-advice');
  await expect(ssl).toBeChecked();
  // The admin leaves Use SSL ticked and types the port of their server.
  await form.getByLabel('Port').fill('995');
  await expect(ssl).toBeChecked();
  // Typed key by key, as a person does: no intermediate number touches the box either.
  await form.getByLabel('Port').fill('');
  await form.getByLabel('Port').pressSequentially('10993', { delay: 20 });
  await expect(ssl).toBeChecked();
  await form.getByLabel('Port').fill('143');
  await expect(ssl).toBeChecked();
  await expect(advice).toHaveText('Port 143 is usually plain IMAP, upgraded with STARTTLS: untick Use SSL unless your server expects SSL on it.');

  await ssl.uncheck();
  await form.getByLabel('Port').fill('993');
  await expect(ssl).not.toBeChecked();
  await expect(advice).toHaveText('Port 993 usually expects SSL: tick Use SSL unless your server says otherwise.');
  await ssl.check();
  await expect(advice).toHaveText('Recommended for ports 585 and 993.');
});

test('Test connection says how the session is encrypted and gives no password to a server without encryption unless allowed', async ({ page }) => {
  const box = mailbox(3);
  const proxy = await startNoStarttlsProxy({ host: '127.0.0.1', port: imapPort() });
  try {
    const form = await newProcessorForm(page);
    await form.getByLabel('Server / IP address').fill('127.0.0.1');
    await form.getByLabel('Port').fill(String(proxy.port));
    await form.getByLabel('Use SSL').uncheck();
    await form.getByLabel('Login').fill(box.user);
    await form.getByLabel('Password').fill(box.password);
    await form.getByLabel('Accept an untrusted certificate').check();
    const result = page.getByTestId('test-connection-result');

    // A server that offers no STARTTLS: refused before the login, and the admin is told what to do.
    await form.getByRole('button', { name: 'Test connection' }).click();
    await expect(result).toContainText(`127.0.0.1:${proxy.port} offers no encryption (no STARTTLS), so Leopard did not send the password.`);
    await expect(result).toContainText('Allow a connection without encryption');
    expect(proxy.clientBytes()).not.toContain(box.password);

    // Only an explicit choice logs in in cleartext, and the result says so prominently.
    await form.getByLabel('Allow a connection without encryption').check();
    await form.getByRole('button', { name: 'Test connection' }).click();
    await expect(result).toContainText('Connected and signed in.');
    await expect(page.getByTestId('test-connection-warning')).toContainText('NOT encrypted');

    // The real server offers STARTTLS: encrypted before the login, no warning.
    await form.getByLabel('Port').fill(String(imapPort()));
    await form.getByRole('button', { name: 'Test connection' }).click();
    await expect(result).toContainText('Encrypted: the connection was upgraded with STARTTLS before the login.');
    await expect(page.getByTestId('test-connection-warning')).toHaveCount(0);
  } finally {
    await proxy.close();
  }
});

test('after Deactivate the Active box is unticked, so Save keeps processing off; Activate ticks it again', async ({ page }) => {
  const box = mailbox(3);
  const form = await newProcessorForm(page);
  await form.getByLabel('Email address').fill('paused@e2e.test');
  await form.getByLabel('Name').fill('Paused');
  await form.getByLabel('Server / IP address').fill('127.0.0.1');
  await form.getByLabel('Port').fill(String(imapPort()));
  await form.getByLabel('Use SSL').uncheck();
  await form.getByLabel('Login').fill(box.user);
  await form.getByLabel('Password').fill(box.password);
  await form.getByLabel('Accept an untrusted certificate').check();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: /Paused/ })).toBeVisible();
  const active = form.getByLabel('Active');
  await expect(active).toBeChecked();

  await page.getByRole('button', { name: 'Deactivate' }).click();
  await expect(page.getByRole('button', { name: 'Activate' })).toBeVisible();
  await expect(active).not.toBeChecked();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Email processor saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByRole('button', { name: 'Activate' })).toBeVisible();
  await expect(page.getByTestId('processor-state').first()).toHaveAttribute('data-state', 'inactive');
  await expect(form.getByLabel('Active')).not.toBeChecked();

  await page.getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByRole('button', { name: 'Deactivate' })).toBeVisible();
  await expect(form.getByLabel('Active')).toBeChecked();
});
