import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { caseMessages, cases } from './cases';
import { id, timestamps } from './columns';
import { emailProcessors } from './processors';

export const outboxKind = pgEnum('outbox_kind', ['auto_reply']);
export const outboxStatus = pgEnum('outbox_status', ['pending', 'sent', 'failed']);
// Why the last attempt did not send: no transport configured on the worker, or the transport refused/failed.
export const outboxErrorKind = pgEnum('outbox_error_kind', ['no_transport', 'transport']);

// Outbound mail is written here in the transaction that decided to send it and sent after commit.
// The idempotency key goes to the provider, so a crash between sending and recording sends once.
export const outbox = pgTable(
  'outbox',
  {
    id: id(),
    kind: outboxKind('kind').notNull(),
    caseId: uuid('case_id').references(() => cases.id, { onDelete: 'set null' }),
    processorId: uuid('processor_id').references(() => emailProcessors.id, { onDelete: 'set null' }),
    // The outbound case message this mail is shown as in the thread; its sent_at is set on sending.
    caseMessageId: uuid('case_message_id').references(() => caseMessages.id, { onDelete: 'set null' }),
    fromAddress: text('from_address').notNull(),
    fromName: text('from_name').notNull().default(''),
    toAddress: text('to_address').notNull(),
    toName: text('to_name').notNull().default(''),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body'),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    messageId: text('message_id'),
    idempotencyKey: text('idempotency_key').notNull(),
    status: outboxStatus('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    lastErrorKind: outboxErrorKind('last_error_kind'),
    providerMessageId: text('provider_message_id'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('outbox_idempotency_key').on(t.idempotencyKey),
    index('outbox_due_idx').on(t.status, t.nextAttemptAt),
    // Per-sender rate limit for auto-replies, by the mailbox an address reaches.
    index('outbox_recipient_key_idx').on(recipientKeySql(t.toAddress), t.createdAt),
    // Per-processor rate limit for auto-replies.
    index('outbox_processor_created_idx').on(t.processorId, t.createdAt),
  ],
);

/** autoReplyRecipientKey (server/domain/auto-reply-policy.ts) in SQL: lower case, without the +tag.
 * The rate-limit query and its index use this one expression, so Postgres can match them. */
export function recipientKeySql(toAddress: AnyColumn | SQL): SQL {
  return sql`regexp_replace(lower(${toAddress}), '[+][^@]*@', '@')`;
}
