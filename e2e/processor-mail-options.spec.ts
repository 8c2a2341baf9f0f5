// "Mark as read on the server" and the check interval are processor options an admin sees, sets and finds
// again as saved; the processor page says how often the mailbox is checked.
import { expect, test } from '@playwright/test';
import { startDovecot } from '../test/harness/dovecot';
import { admin, signIn } from './fixtures';
import { imapPort, mailbox } from './mailbox';

test('Mark as read on the server and Check for new mail every N seconds are saved and shown on the processor', async ({ page }) => {
  const box = mailbox(3);
  await signIn(page, admin().email, admin().password);
  await page.goto('/admin/processors/new');
  const form = page.getByRole('form', { name: 'Email processor' });
  // On by default: the behaviour processors had before the option was visible.
  await expect(form.getByLabel('Mark as read on the server')).toBeChecked();
  await form.getByLabel('Email address').fill('unread@e2e.test');
  await form.getByLabel('Name').fill('Leave unread');
  await form.getByLabel('Server / IP address').fill('127.0.0.1');
  await form.getByLabel('Port').fill(String(imapPort()));
  await form.getByLabel('Use SSL').uncheck();
  await form.getByLabel('Login').fill(box.user);
  await form.getByLabel('Password').fill(box.password);
  await form.getByLabel('Accept an untrusted certificate').check();
  await form.getByLabel('Mark as read on the server').uncheck();
  await form.getByLabel('Check for new mail every (seconds)').fill('5');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: /Leave unread/ })).toBeVisible();

  await page.reload();
  await expect(form.getByLabel('Mark as read on the server')).not.toBeChecked();
  await expect(form.getByLabel('Check for new mail every (seconds)')).toHaveValue('5');
  await expect(page.getByTestId('processor-notices')).toContainText('The mailbox is checked for new mail every 5 s, besides push.');

  await form.getByLabel('Check for new mail every (seconds)').fill('0');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByText('Check at most once a second.')).toBeVisible();
});

test('a mail server that worked and then goes down shows as an outage being retried, and as up to date once back', async ({ page }) => {
  // A Dovecot of this test's own, so that stopping it disturbs no other test.
  const dovecot = await startDovecot();
  try {
    const box = await dovecot.addUser();
    await signIn(page, admin().email, admin().password);
    await page.goto('/admin/processors/new');
    const form = page.getByRole('form', { name: 'Email processor' });
    await form.getByLabel('Email address').fill(box.address);
    await form.getByLabel('Name').fill('Goes down');
    await form.getByLabel('Server / IP address').fill('127.0.0.1');
    await form.getByLabel('Port').fill(String(dovecot.imapPort));
    await form.getByLabel('Use SSL').uncheck();
    await form.getByLabel('Login').fill(box.user);
    await form.getByLabel('Password').fill(box.password);
    await form.getByLabel('Accept an untrusted certificate').check();
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('heading', { name: /Goes down/ })).toBeVisible();
    await page.getByRole('button', { name: 'New filter' }).click();
    await page.getByRole('form', { name: 'New filter' }).getByRole('button', { name: 'Save filter' }).click();
    const state = page.getByTestId('processor-state').first();
    await expect(state).toHaveAttribute('data-state', 'idle', { timeout: 20_000 });

    await dovecot.stopServer();
    await expect(state).toHaveAttribute('data-state', 'outage', { timeout: 20_000 });
    await expect(state).toContainText('Mail server unavailable, retrying');
    await expect(state).toContainText('so the server is down or restarting; Leopard keeps retrying by itself.');
    await expect(state).not.toContainText('Check the host');

    await dovecot.startServer();
    await expect(state).toHaveAttribute('data-state', 'idle', { timeout: 40_000 });
  } finally {
    await dovecot.stop();
  }
});
