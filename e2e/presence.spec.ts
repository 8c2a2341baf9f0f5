// Collision notice in two real browsers: two agents on one case see each other, see who is writing,
// and see a colleague go when their tab closes. Presence lives in Postgres and travels by NOTIFY
// (server/realtime/presence.ts), the path that also carries it between two web instances.
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { createPool } from '../server/db/client';
import { formatCaseNumber } from '../server/domain/case-number';
import { createUser } from '../server/services/users';
import { insertCase, insertMessage } from '../test/harness/case-fixtures';
import { signIn } from './fixtures';

async function setUp() {
  const pool = createPool(process.env.E2E_DATABASE_URL!, { max: 1, applicationName: 'leopard-e2e-presence' });
  try {
    const tag = randomBytes(3).toString('hex');
    const make = (name: string) =>
      createUser({ db: pool.db, actor: null, input: { email: `${name.toLowerCase()}-${tag}@e2e.test`, name: `${name} ${tag}`, role: 'agent', password: 'presence-password-1' } });
    const [anna, ben] = [await make('Anna'), await make('Ben')];
    const c = await insertCase(pool.db, { subject: `Two agents, one customer ${tag}` });
    await insertMessage(pool.db, { caseId: c!.id, subject: c!.subject, textBody: 'Can someone help?', messageId: `presence-${tag}@customer.example` });
    return { anna, ben, caseNumber: formatCaseNumber(c!.number) };
  } finally {
    await pool.sql.end({ timeout: 5 });
  }
}

test('two agents on one case see each other, see who is writing a reply, and see a colleague leave', async ({ browser }) => {
  const { anna, ben, caseNumber } = await setUp();
  const annaContext = await browser.newContext();
  const benContext = await browser.newContext();
  try {
    const annaPage = await annaContext.newPage();
    const benPage = await benContext.newPage();
    await signIn(annaPage, anna.email, 'presence-password-1');
    await signIn(benPage, ben.email, 'presence-password-1');
    await annaPage.goto(`/cases/${caseNumber}`);
    await benPage.goto(`/cases/${caseNumber}`);

    await expect(annaPage.getByTestId('presence-viewer')).toHaveText([ben.name]);
    await expect(benPage.getByTestId('presence-viewer')).toHaveText([anna.name]);
    await expect(annaPage.getByTestId('presence-typing')).toHaveCount(0);

    await benPage.getByTestId('composer-editor').click();
    await benPage.keyboard.type('Hello, I am on it');
    await expect(annaPage.getByTestId('presence-typing')).toHaveText(`${ben.name} is writing a reply…`);
    // Ben's own page does not tell Ben that Ben is writing.
    await expect(benPage.getByTestId('presence-typing')).toHaveCount(0);

    // The notice ends by itself once Ben stops typing.
    await expect(annaPage.getByTestId('presence-typing')).toHaveCount(0, { timeout: 15_000 });

    await benPage.getByRole('button', { name: 'Note', exact: true }).click();
    await benPage.getByTestId('composer-editor').click();
    await benPage.keyboard.type(' and a note');
    await expect(annaPage.getByTestId('presence-typing')).toHaveText(`${ben.name} is writing a note…`);

    await benPage.close();
    await expect(annaPage.getByTestId('presence')).toHaveCount(0);
  } finally {
    await annaContext.close();
    await benContext.close();
  }
});
