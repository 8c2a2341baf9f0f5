import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { outbox } from '../db/schema';
import { OUTBOX_MAX_ATTEMPTS } from '../domain/retry-backoff';
import { claimDueOutbox, markOutboxAttemptFailed, markOutboxSent } from './outbox';

let testDb: TestDatabase;

async function queue(n: number) {
  return testDb.db
    .insert(outbox)
    .values(
      Array.from({ length: n }, (_, i) => ({
        kind: 'auto_reply' as const,
        fromAddress: 'support@example.test',
        toAddress: `customer${i}@example.test`,
        subject: '[LC0000001] Re: help',
        textBody: 'We got your message.',
        idempotencyKey: `auto-reply:${i}:${Math.random()}`,
      })),
    )
    .returning();
}

beforeAll(async () => {
  testDb = await createTestDatabase();
});
beforeEach(async () => {
  await testDb.db.delete(outbox);
});
afterAll(() => testDb.drop());

describe('the outbox', () => {
  it('hands each due mail to only one of two senders claiming at once', async () => {
    await queue(10);
    const [a, b] = await Promise.all([
      claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 60_000 }),
      claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 60_000 }),
    ]);
    const ids = [...a, ...b].map((m) => m.id);
    expect(new Set(ids).size).toBe(10);
    expect(ids).toHaveLength(10);
  });

  it('does not hand out a claimed mail again until the claim lapses', async () => {
    const [mail] = await queue(1);
    expect(await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 60_000 })).toHaveLength(1);
    expect(await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 60_000 })).toHaveLength(0);
    await testDb.db.update(outbox).set({ nextAttemptAt: sql`now() - interval '1 second'` }).where(eq(outbox.id, mail.id));
    const [again] = await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 60_000 });
    expect(again.attempts).toBe(2);
  });

  it('never sends a mail that was marked sent', async () => {
    const [mail] = await queue(1);
    await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 0 });
    await markOutboxSent({ db: testDb.db, id: mail.id, providerMessageId: 're_123' });
    await testDb.db.update(outbox).set({ nextAttemptAt: sql`now() - interval '1 hour'` });
    expect(await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 0 })).toHaveLength(0);
    const [row] = await testDb.db.select().from(outbox);
    expect(row).toMatchObject({ status: 'sent', providerMessageId: 're_123' });
  });

  it('retries a failed attempt later and gives up after the last one, keeping the reason', async () => {
    const [mail] = await queue(1);
    const [claimed] = await claimDueOutbox({ db: testDb.db, limit: 1, claimMs: 0 });
    await markOutboxAttemptFailed({ db: testDb.db, mail: claimed, error: 'connection refused', kind: 'transport', permanent: false });
    let [row] = await testDb.db.select().from(outbox).where(eq(outbox.id, mail.id));
    expect(row.status).toBe('pending');
    expect(row.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    await markOutboxAttemptFailed({ db: testDb.db, mail: { ...claimed, attempts: OUTBOX_MAX_ATTEMPTS }, error: 'still refused', kind: 'transport', permanent: false });
    [row] = await testDb.db.select().from(outbox).where(eq(outbox.id, mail.id));
    expect(row).toMatchObject({ status: 'failed', lastError: 'still refused' });
  });
});
