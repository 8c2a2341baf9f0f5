// Search in the case list, in a real browser against the production build: a word that is only in
// a message's text is found, and the snippet marks it, as text (never as HTML).
import { expect, test } from '@playwright/test';
import { createPool } from '../server/db/client';
import { caseMessages, cases } from '../server/db/schema';
import type { SenderAuthentication } from '../server/domain/authentication-results';
import { formatCaseNumber } from '../server/domain/case-number';
import { admin, signIn } from './fixtures';

type Pool = ReturnType<typeof createPool>;
let pool: Pool;

test.beforeAll(() => {
  pool = createPool(process.env.E2E_DATABASE_URL!, { max: 2, applicationName: 'leopard-e2e' });
});

test.afterAll(async () => {
  await pool.sql.end({ timeout: 5 });
});

async function createCase(subject: string, textBody: string, authentication: SenderAuthentication | null = null) {
  return pool.db.transaction(async (tx) => {
    const [created] = await tx.insert(cases).values({ subject }).returning();
    await tx.insert(caseMessages).values({
      caseId: created.id,
      direction: 'inbound',
      threadReason: 'new',
      fromAddress: 'sam@example.test',
      fromName: 'Sam Sender',
      subject,
      textBody,
      authentication,
      senderFlagged: authentication?.dmarc === 'fail',
    });
    return formatCaseNumber(created.number);
  });
}

test('search finds a word that occurs only in a message body and highlights it in the snippet', async ({ page }) => {
  // A word no other test writes, so the result is this case alone.
  const word = `Quixotry${Date.now().toString(36)}`;
  const number = await createCase('Printer trouble', `Hello, the <img src=x onerror="alert('pwned')"> tray makes a ${word.toLowerCase()} noise every morning.`);
  await createCase('Unrelated', 'Nothing to see here.');
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });

  await signIn(page, admin().email, admin().password);
  await page.getByRole('searchbox', { name: 'Search cases' }).fill(word);
  await page.getByRole('button', { name: 'Search', exact: true }).click();

  const rows = page.getByTestId('case-row');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-case-number', number);
  const snippet = rows.first().getByTestId('search-snippet');
  await expect(snippet.locator('mark')).toHaveText(word.toLowerCase());
  await expect(snippet).toContainText(`Hello, the tray makes a ${word.toLowerCase()} noise`);
  // Markup in the text never becomes an element (ts_headline leaves tags out; the rest is React text).
  await expect(snippet.locator('img')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});

test('a case with mail that failed DMARC is flagged in the list, and the message shows SPF, DKIM and DMARC', async ({ page }) => {
  const word = `Forgery${Date.now().toString(36)}`;
  const number = await createCase(`Wire the money ${word}`, 'Urgent, please pay today.', {
    authservId: 'mx.leopard.example',
    spf: 'softfail',
    dkim: 'none',
    dmarc: 'fail',
    compauth: null,
    fromDomain: 'bank.example',
  });
  await signIn(page, admin().email, admin().password);
  await page.getByRole('searchbox', { name: 'Search cases' }).fill(word);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const row = page.locator(`[data-testid="case-row"][data-case-number="${number}"]`);
  await expect(row.getByTestId('sender-flag')).toHaveText('Sender not verified');

  await row.getByRole('link', { name: number }).click();
  const line = page.getByTestId('sender-authentication');
  await expect(line.getByTestId('auth-spf')).toHaveText('SPF softfail');
  await expect(line.getByTestId('auth-dkim')).toHaveText('DKIM none');
  await expect(line.getByTestId('auth-dmarc')).toHaveText('DMARC fail');
  await expect(line).toContainText('may not come from bank.example');
});
