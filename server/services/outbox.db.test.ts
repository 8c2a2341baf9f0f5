import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { outbox } from '../db/schema';
import { OUTBOX_MAX_ATTEMPTS } from '../domain/retry-backoff';
import { claimDueOutbox, markOutboxAttemptFailed, markOutboxHandover, markOutboxSent } from './outbox';

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
    await testDb.db.update(outbox).set({ claimedUntil: sql`now() - interval '1 second'` }).where(eq(outbox.id, mail.id));
    const [again] = await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 60_000 });
    expect(again.attempts).toBe(2);
  });

  it('records an outcome only under the claim it was made with', async () => {
    const [mail] = await queue(1);
    const [first] = await claimDueOutbox({ db: testDb.db, limit: 1, claimMs: 60_000 });
    // The first sender looked dead: its claim lapsed before the handover began, and another took the mail.
    await testDb.db.update(outbox).set({ claimedUntil: sql`now() - interval '1 second'` }).where(eq(outbox.id, mail.id));
    const [second] = await claimDueOutbox({ db: testDb.db, limit: 1, claimMs: 60_000 });
    expect(second.attemptToken).not.toBe(first.attemptToken);
    await markOutboxAttemptFailed({ db: testDb.db, mail: first, error: 'late failure of the first', kind: 'transport', permanent: true });
    let [row] = await testDb.db.select().from(outbox);
    expect(row).toMatchObject({ status: 'sending', lastError: null });
    await markOutboxSent({ db: testDb.db, id: mail.id, attemptToken: second.attemptToken, providerMessageId: 'Q1', serverResponse: '250 Ok: queued as Q1' });
    [row] = await testDb.db.select().from(outbox);
    expect(row).toMatchObject({ status: 'sent', providerMessageId: 'Q1', serverResponse: '250 Ok: queued as Q1' });
  });

  it('does not send again by itself a mail whose claim lapsed after the SMTP handover began: it is unknown', async () => {
    const [mail] = await queue(1);
    const [claimed] = await claimDueOutbox({ db: testDb.db, limit: 1, claimMs: 60_000 });
    await markOutboxHandover({ db: testDb.db, mail: claimed, transport: 'smtp:127.0.0.1:2525' });
    await testDb.db.update(outbox).set({ claimedUntil: sql`now() - interval '1 second'` }).where(eq(outbox.id, mail.id));
    expect(await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 60_000 })).toHaveLength(0);
    const [row] = await testDb.db.select().from(outbox);
    expect(row.status).toBe('unknown');
    expect(row.lastError).toContain('may have been delivered');
  });

  it('sends again a mail whose claim lapsed after a Resend handover: the idempotency key makes that safe', async () => {
    const [mail] = await queue(1);
    const [claimed] = await claimDueOutbox({ db: testDb.db, limit: 1, claimMs: 60_000 });
    await markOutboxHandover({ db: testDb.db, mail: claimed, transport: 'resend' });
    await testDb.db.update(outbox).set({ claimedUntil: sql`now() - interval '1 second'` }).where(eq(outbox.id, mail.id));
    const [again] = await claimDueOutbox({ db: testDb.db, limit: 10, claimMs: 60_000 });
    expect(again).toMatchObject({ id: mail.id, attempts: 2, idempotencyKey: claimed.idempotencyKey });
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
    await testDb.db.update(outbox).set({ nextAttemptAt: sql`now()` }).where(eq(outbox.id, mail.id));
    const [last] = await claimDueOutbox({ db: testDb.db, limit: 1, claimMs: 0 });
    await markOutboxAttemptFailed({ db: testDb.db, mail: { ...last, attempts: OUTBOX_MAX_ATTEMPTS }, error: 'still refused', kind: 'transport', permanent: false });
    [row] = await testDb.db.select().from(outbox).where(eq(outbox.id, mail.id));
    expect(row).toMatchObject({ status: 'failed', lastError: 'still refused' });
  });
});
