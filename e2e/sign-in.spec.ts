import { expect, test } from '@playwright/test';
import { admin, signIn, signOut } from './fixtures';

test('an anonymous visitor is sent to the sign-in page and the API answers 401', async ({ page }) => {
  await page.goto('/admin/users');
  await expect(page).toHaveURL(/\/sign-in$/);
  const response = await page.request.get('/api/trpc/users.list');
  expect(response.status()).toBe(401);
});

test('a wrong password is refused with a message on the form', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(admin().email);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Wrong email or password.' })).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);
});

test('the admin signs in, adds an agent, and the agent cannot open the admin area', async ({ page }) => {
  await signIn(page, admin().email, admin().password);
  await expect(page.getByRole('heading', { name: 'Cases' })).toBeVisible();

  await page.getByRole('button', { name: 'CRM Admin' }).click();
  await page.getByRole('link', { name: 'Users' }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  const form = page.getByRole('form', { name: 'Add a user' });
  await form.getByLabel('Name').fill('Alice Agent');
  await form.getByLabel('Email').fill('not-an-email');
  await form.getByLabel('Password').fill('short');
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(form.getByText('Enter a valid email address.')).toBeVisible();
  await expect(form.getByText('Use at least 10 characters.')).toBeVisible();

  await form.getByLabel('Email').fill('alice@e2e.test');
  await form.getByLabel('Password').fill('alice-password-1');
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByText('Alice Agent can now sign in.')).toBeVisible();
  await expect(page.getByTestId('users-table')).toContainText('alice@e2e.test');
  await signOut(page);

  await signIn(page, 'alice@e2e.test', 'alice-password-1');
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await page.goto('/admin/users');
  await expect(page.getByTestId('not-allowed')).toContainText('Not allowed');
  await expect(page.getByTestId('users-table')).toHaveCount(0);
  const response = await page.request.get('/api/trpc/users.list');
  expect(response.status()).toBe(403);
});
