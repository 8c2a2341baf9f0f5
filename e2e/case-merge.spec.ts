// Case work in two real browsers, with mail through the whole product (Dovecot APPEND, the real worker):
// an agent merges a case into another and a colleague's open page follows to the target; a customer's
// reply carrying the old case's tag lands in the target; a split opens a case with the chosen messages.
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { eq, like, sql } from 'drizzle-orm';
import { createPool } from '../server/db/client';
import { caseMessages, cases, emailProcessors } from '../server/db/schema';
import { formatCaseNumber } from '../server/domain/case-number';
import { createFilter } from '../server/services/filters';
import { createProcessor } from '../server/services/processors';
import { createUser } from '../server/services/users';
import { signIn } from './fixtures';
import { deliver, imapPort, mailbox } from './mailbox';

const box = mailbox(7);
const tag = randomBytes(3).toString('hex');
const PASSWORD = 'case-merge-password-1';

function pool() {
  return createPool(process.env.E2E_DATABASE_URL!, { max: 1, applicationName: 'leopard-e2e-case-merge' });
}

async function setUp() {
  const p = pool();
  try {
    const [actor] = await p.db.execute<{ id: string; email: string }>(sql`select id, email from users where role = 'admin' limit 1`);
    // A retry of this test finds the processor the first attempt made.
    const [existing] = await p.db.select({ id: emailProcessors.id }).from(emailProcessors).where(eq(emailProcessors.emailAddress, box.address));
    const processor = existing ?? (await createProcessor({
      db: p.db,
      actor,
      key: Buffer.from(process.env.E2E_SECRET_KEY!, 'base64'),
      input: {
        emailAddress: box.address,
        name: 'Case work',
        active: true,
        host: '127.0.0.1',
        type: 'imap',
        port: imapPort(),
        useSsl: false,
        login: box.user,
        password: box.password,
        autoReply: false,
        allowUntrustedCert: true,
      },
    }));
    if (!existing) {
      await createFilter({
        db: p.db,
        actor,
        input: { processorId: processor.id, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
      });
    }
    const attempt = randomBytes(2).toString('hex');
    const make = (name: string) =>
      createUser({ db: p.db, actor: null, input: { email: `${name.toLowerCase()}-${tag}-${attempt}@e2e.test`, name: `${name} ${tag}`, role: 'agent', password: PASSWORD } });
    return { anna: await make('Anna'), ben: await make('Ben') };
  } finally {
    await p.sql.end({ timeout: 5 });
  }
}

/** The number of the case whose subject contains `text`, once the worker has stored it. */
async function caseNumberOf(text: string): Promise<string> {
  const p = pool();
  try {
    let found: number | null = null;
    await expect
      .poll(
        async () => {
          const [row] = await p.db.select({ number: cases.number }).from(cases).where(like(cases.subject, `%${text}%`));
          found = row?.number ?? null;
          return found;
        },
        { timeout: 20_000 },
      )
      .not.toBeNull();
    return formatCaseNumber(found!);
  } finally {
    await p.sql.end({ timeout: 5 });
  }
}

async function caseOfMessage(messageId: string): Promise<number | null> {
  const p = pool();
  try {
    const [row] = await p.db
      .select({ number: cases.number })
      .from(caseMessages)
      .innerJoin(cases, eq(cases.id, caseMessages.caseId))
      .where(eq(caseMessages.messageId, messageId));
    return row?.number ?? null;
  } finally {
    await p.sql.end({ timeout: 5 });
  }
}

const mail = (subject: string, messageId: string, body: string) =>
  `From: Carla Customer <carla-${tag}@customer.example>\nTo: ${box.address}\nSubject: ${subject}\nMessage-ID: <${messageId}>\n\n${body}`;

test('an agent merges two cases and a colleague follows; a reply with the old tag lands in the target; a split opens a case with the chosen messages', async ({ browser }) => {
  const { anna, ben } = await setUp();
  await deliver(box, mail(`Order ${tag} is late`, `late-${tag}@customer.example`, 'My order has not arrived.'));
  const first = await caseNumberOf(`Order ${tag} is late`);
  await deliver(box, mail(`Where is order ${tag}?`, `where-${tag}@customer.example`, 'Still nothing, please check.'));
  const second = await caseNumberOf(`Where is order ${tag}?`);

  const annaContext = await browser.newContext();
  const benContext = await browser.newContext();
  try {
    const annaPage = await annaContext.newPage();
    const benPage = await benContext.newPage();
    await signIn(annaPage, anna.email, PASSWORD);
    await signIn(benPage, ben.email, PASSWORD);
    await annaPage.goto(`/cases/${first}`);
    await benPage.goto(`/cases/${first}`);
    await expect(benPage.getByTestId('message')).toHaveCount(1);
    await expect(benPage.getByTestId('live-indicator').first()).toHaveAttribute('data-status', 'live');

    // Anna merges the first case into the second, picking it by number and confirming.
    await annaPage.getByLabel('Merge into').fill(second);
    await annaPage.getByRole('button', { name: 'Merge into…' }).click();
    await expect(annaPage.getByRole('alertdialog', { name: 'Confirm the merge' })).toContainText(`Merge ${first} into ${second}?`);
    await annaPage.getByRole('button', { name: `Merge into ${second}` }).click();
    await expect(annaPage).toHaveURL(new RegExp(`/cases/${second}\\?from=${first}$`));
    await expect(annaPage.getByTestId('message')).toHaveCount(2);

    // Ben did nothing: his open page of the first case follows to the second, which now holds both mails.
    await expect(benPage).toHaveURL(new RegExp(`/cases/${second}\\?from=${first}$`));
    await expect(benPage.getByTestId('arrived-from-merge')).toHaveText(`${first} was merged into ${second}; you are looking at ${second} now.`);
    await expect(benPage.getByTestId('message')).toHaveCount(2);
    await expect(benPage.getByTestId('merged-here')).toContainText(`${first} was merged into this case`);
    await expect(benPage.getByTestId('merged-here').getByRole('button', { name: 'Undo merge' })).toBeVisible();

    // The customer answers the first mail with its old tag: it lands in the second case, live for both.
    await deliver(box, mail(`Re: [${first}] Order ${tag} is late`, `answer-${tag}@customer.example`, 'Any news about my order?'));
    await expect(benPage.getByTestId('message')).toHaveCount(3, { timeout: 15_000 });
    await expect(benPage.getByTestId('message').last()).toContainText('Any news about my order?');
    await expect(benPage.getByTestId('thread-reason').last()).toHaveAttribute('data-reason', 'tag');
    expect(await caseOfMessage(`answer-${tag}@customer.example`)).toBe(Number(second.slice(2)));
    // Something new arrived, so the merge can no longer be undone, and the page says why.
    await expect(annaPage.getByTestId('merged-here')).toContainText('Something new arrived in the case since the merge');

    // The merged case is gone from the list; following its address leads to the second case.
    await annaPage.goto('/cases');
    await expect(annaPage.getByTestId('case-row').filter({ hasText: `Where is order ${tag}?` })).toBeVisible();
    await expect(annaPage.locator(`[data-case-number="${first}"]`)).toHaveCount(0);
    await annaPage.goto(`/cases/${first}`);
    await expect(annaPage).toHaveURL(new RegExp(`/cases/${second}\\?from=${first}$`));

    // Anna splits the conversation from the second message on into a new case.
    const thread = annaPage.getByTestId('message');
    await expect(thread).toHaveCount(3);
    await thread.nth(1).getByRole('button', { name: 'Split from here' }).click();
    await thread.nth(1).getByRole('button', { name: 'Split into a new case' }).click();
    await expect(annaPage).not.toHaveURL(new RegExp(`/cases/${second}`));
    await expect(annaPage).toHaveURL(/\/cases\/LC\d{7}$/);
    const split = annaPage.url().split('/').pop()!;
    await expect(annaPage.getByTestId('message')).toHaveCount(2);
    await expect(annaPage.getByTestId('message').first()).toContainText('Still nothing, please check.');
    await expect(annaPage.getByTestId('message').last()).toContainText('Any news about my order?');
    await expect(annaPage.locator('.case-notes')).toContainText(`Split from ${second}.`);
    // Ben, still on the second case, sees the two messages leave it.
    await expect(benPage.getByTestId('message')).toHaveCount(1);
    await expect(benPage.getByTestId('message')).toContainText('My order has not arrived.');
    expect(await caseOfMessage(`answer-${tag}@customer.example`)).toBe(Number(split.slice(2)));
  } finally {
    await annaContext.close();
    await benContext.close();
  }
});
