import { relations, type SQL, sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { SenderAuthentication } from '../../domain/authentication-results';
import { CASE_STATUSES } from '../../domain/case-status';
import type { DeliveryReport } from '../../domain/delivery-status';
import { casePriorities, caseTypes } from './catalog';
import { bytea, id, timestamps, tsvector } from './columns';
import { emailProcessors } from './processors';
import { users } from './users';

// Case numbers come from a sequence so that two workers never hand out the same one;
// they are shown as LC + 7 digits (server/domain/case-number.ts).
export const caseNumberSeq = pgSequence('case_number_seq', { startWith: 1, increment: 1 });

// "new" is the seed's New/unread state: a case becomes new again when mail joins it.
export const caseStatus = pgEnum('case_status', CASE_STATUSES);

export const contacts = pgTable(
  'contacts',
  {
    id: id(),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    email: text('email').notNull(),
    // Set when mail created this contact: marking that case as spam may delete it.
    createdByCaseId: uuid('created_by_case_id').references((): AnyPgColumn => cases.id, { onDelete: 'set null' }),
    // Created for a message that failed DMARC at the processor's mail server: its address alone proves
    // nothing, so it was not matched to the contact that already had it (server/domain/match-contact.ts).
    unverifiedSender: boolean('unverified_sender').notNull().default(false),
    ...timestamps,
  },
  (t) => [
    index('contacts_email_lower_idx').on(sql`lower(${t.email})`),
    index('contacts_created_idx').on(t.createdAt, t.id),
  ],
);

export const cases = pgTable(
  'cases',
  {
    id: id(),
    number: bigint('number', { mode: 'number' })
      .notNull()
      .default(sql`nextval('case_number_seq')`),
    subject: text('subject').notNull().default(''),
    status: caseStatus('status').notNull().default('new'),
    caseTypeId: uuid('case_type_id').references(() => caseTypes.id, { onDelete: 'set null' }),
    casePriorityId: uuid('case_priority_id').references(() => casePriorities.id, { onDelete: 'set null' }),
    assignedToId: uuid('assigned_to_id').references(() => users.id, { onDelete: 'set null' }),
    managedById: uuid('managed_by_id').references(() => users.id, { onDelete: 'set null' }),
    contactId: uuid('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    processorId: uuid('processor_id').references(() => emailProcessors.id, { onDelete: 'set null' }),
    isSpam: boolean('is_spam').notNull().default(false),
    // Set when an agent merged this case into another: the case stays as a pointer, its messages live
    // there, and mail tagged with its number goes there (following chains; server/domain/case-merge.ts).
    mergedIntoId: uuid('merged_into_id').references((): AnyPgColumn => cases.id, { onDelete: 'set null' }),
    mergedAt: timestamp('merged_at', { withTimezone: true }),
    // Why the case got its settings and contact ("no filter matched", "3 contacts share …").
    notes: jsonb('notes').$type<string[]>().notNull().default([]),
    // The list is ordered by activity: new mail or an agent's change moves a case to the top.
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull().defaultNow(),
    // Search (server/services/cases.ts): the subject's words, ranked first, and every word of the case's
    // messages, senders and attachment names, kept by triggers on case_messages and attachments in the
    // same transaction as the mail (drizzle/migrations/*_case_search_triggers.sql). Positions are stripped:
    // phrases are checked against the messages themselves.
    subjectSearch: tsvector('subject_search')
      .notNull()
      .generatedAlwaysAs((): SQL => sql`to_tsvector('leopard_search'::regconfig, leopard_search_text(${cases.subject}))`),
    searchVector: tsvector('search_vector').notNull().default(sql`''::tsvector`),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('cases_number_key').on(t.number),
    index('cases_subject_search_idx').using('gin', t.subjectSearch),
    index('cases_search_idx').using('gin', t.searchVector),
    index('cases_activity_idx').on(t.lastActivityAt.desc(), t.id.desc()),
    index('cases_assignee_activity_idx').on(t.assignedToId, t.lastActivityAt.desc(), t.id.desc()),
    index('cases_status_activity_idx').on(t.status, t.lastActivityAt.desc(), t.id.desc()),
    index('cases_processor_activity_idx').on(t.processorId, t.lastActivityAt.desc(), t.id.desc()),
    index('cases_contact_idx').on(t.contactId),
    index('cases_merged_into_idx').on(t.mergedIntoId).where(sql`${t.mergedIntoId} is not null`),
  ],
);

// 'note': an agent's internal note in the thread, never emailed (it has no outbox row).
export const messageDirection = pgEnum('message_direction', ['inbound', 'outbound', 'note']);
export const threadReason = pgEnum('thread_reason', ['tag', 'reference', 'new']);

export type MessageAddress = { address: string; name: string };

// Which header a message's sender was taken from: From, or Sender / Reply-To when From has no usable
// address (server/domain/choose-sender.ts); 'none' when no header has one.
export const senderSource = pgEnum('sender_source', ['from', 'sender', 'reply_to', 'none']);

export const caseMessages = pgTable(
  'case_messages',
  {
    id: id(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    processorId: uuid('processor_id').references(() => emailProcessors.id, { onDelete: 'set null' }),
    rawMessageId: uuid('raw_message_id').references((): AnyPgColumn => rawMessages.id, { onDelete: 'set null' }),
    direction: messageDirection('direction').notNull(),
    messageId: text('message_id'),
    inReplyTo: text('in_reply_to'),
    references: text('references').array().notNull().default(sql`'{}'::text[]`),
    fromAddress: text('from_address').notNull().default(''),
    fromName: text('from_name').notNull().default(''),
    senderSource: senderSource('sender_source').notNull().default('from'),
    to: jsonb('to').$type<MessageAddress[]>().notNull().default([]),
    cc: jsonb('cc').$type<MessageAddress[]>().notNull().default([]),
    // Reply-To of inbound mail: where an agent's answer goes (before From).
    replyTo: jsonb('reply_to').$type<MessageAddress[]>().notNull().default([]),
    subject: text('subject').notNull().default(''),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    textBody: text('text_body'),
    // Stored as received; sanitized on the server before any browser sees it.
    htmlBody: text('html_body'),
    // A bounce's delivery status (RFC 3464), shown as a notice on the message rather than in its text.
    deliveryReport: jsonb('delivery_report').$type<DeliveryReport>(),
    // SPF, DKIM and DMARC as the processor's own mail server judged them (Authentication-Results with its
    // authserv-id, server/domain/authentication-results.ts); null when the processor names no server.
    authentication: jsonb('authentication').$type<SenderAuthentication>(),
    // DMARC failed and the processor flags such mail: the case list shows a warning on its case.
    senderFlagged: boolean('sender_flagged').notNull().default(false),
    // Subject, sender and text as searchable words (leopard_message_search_text in the migrations).
    searchVector: tsvector('search_vector')
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`to_tsvector('leopard_search'::regconfig, leopard_message_search_text(${caseMessages.subject}, ${caseMessages.fromName}, ${caseMessages.fromAddress}, ${caseMessages.textBody}))`,
      ),
    threadReason: threadReason('thread_reason').notNull(),
    threadNote: text('thread_note'),
    // The agent who wrote an outbound reply or a note; null for mail and auto-replies.
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    // An inbound bounce (DSN) recognised as being about one of our outbound messages: that message.
    bounceOfId: uuid('bounce_of_id').references((): AnyPgColumn => caseMessages.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('case_messages_case_idx').on(t.caseId, t.createdAt),
    index('case_messages_message_id_idx').on(t.messageId),
    // Not unique: some senders reuse one Message-ID for different mails, and each is kept
    // (server/services/same-mail.ts decides what counts as the same mail again).
    index('case_messages_processor_message_id_idx')
      .on(t.processorId, t.messageId)
      .where(sql`${t.direction} = 'inbound' and ${t.messageId} is not null`),
    // The case list's warning for mail that failed DMARC: only such messages are in it.
    index('case_messages_sender_flagged_idx').on(t.caseId).where(sql`${t.senderFlagged}`),
  ],
);

export const attachments = pgTable(
  'attachments',
  {
    id: id(),
    caseMessageId: uuid('case_message_id')
      .notNull()
      .references(() => caseMessages.id, { onDelete: 'cascade' }),
    filename: text('filename').notNull().default(''),
    contentType: text('content_type').notNull().default('application/octet-stream'),
    size: bigint('size', { mode: 'number' }).notNull(),
    // Inline images are referenced from the HTML by Content-ID.
    contentId: text('content_id'),
    inline: boolean('inline').notNull().default(false),
    checksum: text('checksum'),
    // The file's bytes. Empty for an attachment of inbound mail: its bytes are the raw message's part number
    // rawPart (in the order server/mail/parse-message.ts lists a message's attachments), decoded when it is
    // downloaded (server/services/attachments.ts), so a mail's bytes are stored once.
    content: bytea('content').notNull(),
    rawPart: integer('raw_part'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('attachments_message_idx').on(t.caseMessageId)],
);

// The exact bytes of every inbound message, so it can be re-parsed after a fix.
export const rawMessages = pgTable(
  'raw_messages',
  {
    id: id(),
    processorId: uuid('processor_id').references(() => emailProcessors.id, { onDelete: 'set null' }),
    uidValidity: bigint('uid_validity', { mode: 'number' }),
    uid: bigint('uid', { mode: 'number' }),
    size: bigint('size', { mode: 'number' }).notNull(),
    content: bytea('content').notNull(),
    // Hex SHA-256 of content, computed by Postgres so that it can never disagree with the bytes (old rows
    // got theirs when the column was added). Compared, never searched: server/services/same-mail.ts finds
    // candidates by Message-ID first.
    sha256: text('sha256')
      .notNull()
      .generatedAlwaysAs((): SQL => sql`encode(sha256(${rawMessages.content}), 'hex')`),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('raw_messages_mailbox_uid_key').on(t.processorId, t.uidValidity, t.uid)],
);

// Messages that could not be parsed or stored: kept raw with the error, shown to admins with a retry.
export const quarantine = pgTable(
  'quarantine',
  {
    id: id(),
    processorId: uuid('processor_id').references(() => emailProcessors.id, { onDelete: 'set null' }),
    rawMessageId: uuid('raw_message_id')
      .notNull()
      .references(() => rawMessages.id, { onDelete: 'cascade' }),
    stage: text('stage').notNull(),
    error: text('error').notNull(),
    attempts: bigint('attempts', { mode: 'number' }).notNull().default(1),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedCaseMessageId: uuid('resolved_case_message_id').references(() => caseMessages.id, {
      onDelete: 'set null',
    }),
    ...timestamps,
  },
  (t) => [
    index('quarantine_open_idx').on(t.resolvedAt, t.createdAt),
    // One quarantine entry per stored message, whatever retries happen.
    uniqueIndex('quarantine_raw_message_key').on(t.rawMessageId),
  ],
);

export const casesRelations = relations(cases, ({ one, many }) => ({
  caseType: one(caseTypes, { fields: [cases.caseTypeId], references: [caseTypes.id] }),
  casePriority: one(casePriorities, { fields: [cases.casePriorityId], references: [casePriorities.id] }),
  assignedTo: one(users, { fields: [cases.assignedToId], references: [users.id], relationName: 'caseAssignee' }),
  managedBy: one(users, { fields: [cases.managedById], references: [users.id], relationName: 'caseManager' }),
  contact: one(contacts, { fields: [cases.contactId], references: [contacts.id] }),
  processor: one(emailProcessors, { fields: [cases.processorId], references: [emailProcessors.id] }),
  messages: many(caseMessages),
}));

export const contactsRelations = relations(contacts, ({ many }) => ({
  cases: many(cases),
}));

export const caseMessagesRelations = relations(caseMessages, ({ one, many }) => ({
  case: one(cases, { fields: [caseMessages.caseId], references: [cases.id] }),
  attachments: many(attachments),
}));

// Files an agent uploaded for a reply not sent yet (the composer uploads them one by one, so a 25 MB
// reply is not one request). Sending moves them into `attachments` of the outbound message, in the
// reply's transaction; left-over uploads of abandoned drafts are removed after a day.
export const replyUploads = pgTable(
  'reply_uploads',
  {
    id: id(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    uploaderId: uuid('uploader_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull().default('application/octet-stream'),
    size: bigint('size', { mode: 'number' }).notNull(),
    content: bytea('content').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('reply_uploads_case_uploader_idx').on(t.caseId, t.uploaderId)],
);

export const attachmentsRelations = relations(attachments, ({ one }) => ({
  message: one(caseMessages, { fields: [attachments.caseMessageId], references: [caseMessages.id] }),
}));
