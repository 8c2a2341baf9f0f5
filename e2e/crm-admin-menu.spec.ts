// The seed: 'Click "CRM Admin" in the top right hand corner of your screen. If you do not have the
// CRM Admin button appear, it means that you do not have administration privileges.'
import { expect, test } from '@playwright/test';
import { admin, signIn, signOut } from './fixtures';

const ADMIN_PAGES = [
  { label: 'Email processors', url: /\/admin\/processors$/ },
  { label: 'OAuth providers', url: /\/admin\/oauth-providers$/ },
  { label: 'Users', url: /\/admin\/users$/ },
  { label: 'Quarantine', url: /\/admin\/quarantine$/ },
  { label: 'Audit log', url: /\/admin\/audit$/ },
];

test('a CRM Admin entry at the top right holds email processors, OAuth providers, users, quarantine and the audit log; an agent does not see it', async ({ page }) => {
  await signIn(page, admin().email, admin().password);
  const main = page.getByRole('navigation', { name: 'Main' });
  await expect(main.getByRole('link')).toHaveText(['Cases', 'Contacts']);

  const entry = page.getByRole('button', { name: 'CRM Admin' });
  const box = await entry.boundingBox();
  const viewport = page.viewportSize();
  expect(box && viewport && box.x > viewport.width / 2 && box.y < 60).toBe(true);

  for (const { label, url } of ADMIN_PAGES) {
    await entry.click();
    const menu = page.getByRole('navigation', { name: 'CRM Admin' });
    await expect(menu.getByRole('link')).toHaveText(ADMIN_PAGES.map((p) => p.label));
    await menu.getByRole('link', { name: label }).click();
    await expect(page).toHaveURL(url);
    await expect(menu).toBeHidden();
  }

  // Escape and a click elsewhere close it.
  await entry.click();
  await expect(page.getByRole('navigation', { name: 'CRM Admin' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('navigation', { name: 'CRM Admin' })).toBeHidden();

  await page.goto('/admin/users');
  const form = page.getByRole('form', { name: 'Add a user' });
  await form.getByLabel('Name').fill('Carla Agent');
  await form.getByLabel('Email').fill('carla@e2e.test');
  await form.getByLabel('Password').fill('carla-password-1');
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByText('Carla Agent can now sign in.')).toBeVisible();
  await signOut(page);

  await signIn(page, 'carla@e2e.test', 'carla-password-1');
  await expect(page.getByRole('heading', { name: 'Cases' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'CRM Admin' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Email processors' })).toHaveCount(0);
});
