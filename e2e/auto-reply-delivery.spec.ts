// An auto-reply is "sent by Leopard" only once it was sent. Here the worker that sends through the
// local Resend is paused and a worker without any outgoing transport runs alone: the processor page
// warns, and the case page says the auto-reply was not sent and why. When the paused worker comes
// back, it sends the mail and the case page says so.
import { expect, test } from '@playwright/test';
import { sql } from 'drizzle-orm';
import { createPool } from '../server/db/client';
import { createFilter } from '../server/services/filters';
import { createProcessor } from '../server/services/processors';
import { startWorker, type WorkerProcess } from '../test/harness/worker-process';
import { admin, signIn } from './fixtures';
import { deliver, imapPort, mailbox } from './mailbox';

async function createAutoReplyProcessor(address: string, user: string, password: string): Promise<string> {
  const pool = createPool(process.env.E2E_DATABASE_URL!, { max: 1, applicationName: 'leopard-e2e-setup' });
  try {
    const [actor] = await pool.db.execute<{ id: string; email: string }>(sql`select id, email from users where role = 'admin' limit 1`);
    // On a retry of the test the processor made the first time is still there.
    const [existing] = await pool.db.execute<{ id: string }>(sql`select id from email_processors where email_address = ${address}`);
    if (existing) return existing.id;
    const processor = await createProcessor({
      db: pool.db,
      actor,
      key: Buffer.from(process.env.E2E_SECRET_KEY!, 'base64'),
      input: {
        emailAddress: address,
        name: 'Auto replies',
        active: true,
        host: '127.0.0.1',
        type: 'imap',
        port: imapPort(),
        useSsl: false,
        login: user,
        password,
        autoReply: true,
        allowUntrustedCert: true,
      },
    });
    await createFilter({
      db: pool.db,
      actor,
      input: { processorId: processor.id, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
    });
    return processor.id;
  } finally {
    await pool.sql.end({ timeout: 5 });
  }
}

test('an auto-reply no worker could send says so on the case page, the processor page warns, and it shows as sent once a worker sends it', async ({ page }) => {
  test.setTimeout(180_000);
  const box = mailbox(4);
  const subject = `Where is my parcel ${Date.now()}`;
  const sendingWorker = Number(process.env.E2E_WORKER_PID);
  process.kill(sendingWorker, 'SIGSTOP');
  let lone: WorkerProcess | undefined;
  try {
    lone = await startWorker({ databaseUrl: process.env.E2E_DATABASE_URL!, secretKey: process.env.E2E_SECRET_KEY! });
    await lone.ready();
    const processorId = await createAutoReplyProcessor(box.address, box.user, box.password);

    await signIn(page, admin().email, admin().password);
    await page.goto(`/admin/processors/${processorId}`);
    // Once the paused worker's heartbeat is stale, only the worker without a transport is running.
    await expect(page.getByTestId('no-outgoing-transport')).toContainText('no outgoing mail transport is configured', { timeout: 40_000 });

    await deliver(box, `From: Paula Parcel <paula@customer.example>\nTo: ${box.address}\nSubject: ${subject}\nMessage-ID: <parcel-${Date.now()}@customer.example>\n\nIt has been two weeks.`);
    await page.goto('/cases');
    const row = page.getByTestId('case-row').filter({ hasText: subject });
    await expect(row).toBeVisible({ timeout: 30_000 });
    await row.getByRole('link').first().click();
    const autoReply = page.getByTestId('message').nth(1);
    await expect(autoReply.getByTestId('delivery-state')).toHaveAttribute('data-state', 'no_transport', { timeout: 30_000 });
    await expect(autoReply.getByTestId('delivery-state')).toHaveText('not sent: no outgoing mail transport configured');
    await expect(autoReply).toContainText('configure RESEND_API_KEY or SMTP_URL on the worker');
    await expect(page.getByText('sent by Leopard')).toHaveCount(0);
  } finally {
    await lone?.kill();
    process.kill(sendingWorker, 'SIGCONT');
  }

  // The worker with a transport is back: it sends the waiting auto-reply on its next attempt.
  const state = page.getByTestId('message').nth(1).getByTestId('delivery-state');
  await expect(async () => {
    await page.reload();
    await expect(state).toHaveAttribute('data-state', 'sent', { timeout: 2_000 });
  }).toPass({ timeout: 120_000 });
  await expect(state).toHaveText('sent by Leopard');
});
