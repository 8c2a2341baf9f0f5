import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { caseMessages, cases, type MessageAddress } from './cases';
import { id, timestamps } from './columns';
import { emailProcessors } from './processors';

export const outboxKind = pgEnum('outbox_kind', ['auto_reply', 'reply']);
// pending: queued or waiting for a retry (last_error says why); sending: claimed by a worker that is
// talking to the server now; sent; failed: given up (the server's words in last_error); unknown: a worker
// died after it began handing the mail to an SMTP server and before it recorded the answer, so the mail may
// or may not have been accepted: never resent by itself, an agent decides (README "Exactly once").
export const outboxStatus = pgEnum('outbox_status', ['pending', 'sending', 'sent', 'failed', 'unknown']);
// The copy APPENDed to the mailbox's Sent folder: off for the processor, waiting, done, or failing (retried).
export const sentCopyStatus = pgEnum('sent_copy_status', ['off', 'pending', 'done', 'failed']);
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
    // Agent replies: every To and CC recipient (to_address is the first To). Empty for auto-replies.
    toList: jsonb('to_list').$type<MessageAddress[]>().notNull().default([]),
    ccList: jsonb('cc_list').$type<MessageAddress[]>().notNull().default([]),
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
    // The server's own reply to the message (SMTP "250 2.0.0 Ok: queued as …"), shown with the state.
    serverResponse: text('server_response'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    // The claim of the attempt under way: a worker sets status 'sending' with a fresh token before it
    // talks to the server, and records the outcome only under its own token.
    attemptToken: uuid('attempt_token'),
    claimedBy: text('claimed_by'),
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    // Set just before the message is handed over (SMTP MAIL FROM … DATA): a claim that died before it
    // is safe to send again, one that died after it may have been delivered.
    handoverStartedAt: timestamp('handover_started_at', { withTimezone: true }),
    // Which transport the attempt used: 'resend' (idempotent by key), 'smtp:<host>:<port>' or 'system-smtp'.
    transport: text('transport'),
    // A delivery status notification about this mail (server/domain/delivery-status.ts), when one came.
    bouncedAt: timestamp('bounced_at', { withTimezone: true }),
    bounce: jsonb('bounce').$type<OutboxBounce>(),
    sentCopyStatus: sentCopyStatus('sent_copy_status').notNull().default('off'),
    sentCopyError: text('sent_copy_error'),
    sentCopyAttempts: integer('sent_copy_attempts').notNull().default(0),
    sentCopyNextAt: timestamp('sent_copy_next_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('outbox_idempotency_key').on(t.idempotencyKey),
    index('outbox_due_idx').on(t.status, t.nextAttemptAt),
    // Per-sender rate limit for auto-replies, by the mailbox an address reaches.
    index('outbox_recipient_key_idx').on(recipientKeySql(t.toAddress), t.createdAt),
    // Per-processor rate limit for auto-replies.
    index('outbox_processor_created_idx').on(t.processorId, t.createdAt),
    index('outbox_claims_idx').on(t.status, t.claimedUntil),
    index('outbox_sent_copy_idx').on(t.sentCopyStatus, t.sentCopyNextAt),
    index('outbox_message_id_idx').on(t.messageId),
  ],
);

/** What a bounce said about one of our mails: the first failed recipient, its status and the server's words. */
export type OutboxBounce = { recipient: string; status: string | null; diagnostic: string | null; caseMessageId: string };

/** autoReplyRecipientKey (server/domain/auto-reply-policy.ts) in SQL: lower case, without the +tag.
 * The rate-limit query and its index use this one expression, so Postgres can match them. */
export function recipientKeySql(toAddress: AnyColumn | SQL): SQL {
  return sql`regexp_replace(lower(${toAddress}), '[+][^@]*@', '@')`;
}
