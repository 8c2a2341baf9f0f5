import { relations, sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { casePriorities, caseTypes } from './catalog';
import { oauthProviders } from './oauth';
import { id, timestamps } from './columns';
import { users } from './users';

// pop3: polled (no push), messages told apart by UIDL (server/services/pop3-sync.ts).
export const processorType = pgEnum('processor_type', ['imap', 'pop3']);

// What the worker last reported. "inactive" and "needs a filter" are derived from
// `active` and the filter count, never stored, so they cannot go stale.
// How a processor's mail goes out: the system transport of the worker (Resend / SMTP_URL), or the
// mailbox's own SMTP server.
export const outgoingMode = pgEnum('outgoing_mode', ['system', 'smtp']);
// starttls: plain connection upgraded before AUTH (port 587, refused when the server offers no STARTTLS);
// tls: implicit TLS (port 465).
export const smtpSecurity = pgEnum('smtp_security', ['starttls', 'tls']);

export const processorSyncStatus = pgEnum('processor_sync_status', ['connecting', 'importing', 'idle', 'error']);

// How the worker signs in to the mailbox (IMAP and, with its own SMTP server, SMTP): a stored password, or
// an OAuth2 access token (XOAUTH2) from the processor's provider.
export const processorAuthMethod = pgEnum('processor_auth_method', ['password', 'oauth2']);
// connected: the refresh token works. reconnect_needed: the provider refused it (invalid_grant: consent
// revoked, password changed, secret expired…); the worker does not try again until an admin reconnects.
// Null: an OAuth2 processor that has never been connected.
export const processorOauthState = pgEnum('processor_oauth_state', ['connected', 'reconnect_needed']);

export const emailProcessors = pgTable(
  'email_processors',
  {
    id: id(),
    emailAddress: text('email_address').notNull(),
    name: text('name').notNull(),
    active: boolean('active').notNull().default(true),
    host: text('host').notNull(),
    type: processorType('type').notNull().default('imap'),
    port: integer('port').notNull(),
    useSsl: boolean('use_ssl').notNull(),
    login: text('login').notNull(),
    // AES-256-GCM, see server/crypto/secret-box.ts. Never leaves the server. Null for OAuth2 processors.
    passwordCiphertext: text('password_ciphertext'),
    authMethod: processorAuthMethod('auth_method').notNull().default('password'),
    // OAuth2 sign-in (server/services/oauth-tokens.ts). The tokens are sealed like the password and never
    // leave the server; the refresh token is replaced in the same transaction that records a refresh.
    oauthProviderId: uuid('oauth_provider_id').references((): AnyPgColumn => oauthProviders.id, { onDelete: 'restrict' }),
    oauthRefreshTokenCiphertext: text('oauth_refresh_token_ciphertext'),
    oauthAccessTokenCiphertext: text('oauth_access_token_ciphertext'),
    oauthAccessTokenExpiresAt: timestamp('oauth_access_token_expires_at', { withTimezone: true }),
    oauthRefreshedAt: timestamp('oauth_refreshed_at', { withTimezone: true }),
    oauthState: processorOauthState('oauth_state'),
    // The provider's own words when it refused (error and error_description), shown with the Reconnect button.
    oauthError: text('oauth_error'),
    oauthErrorAt: timestamp('oauth_error_at', { withTimezone: true }),
    autoReply: boolean('auto_reply').notNull(),
    // Beyond the seed: self-hosted servers often use their own certificates.
    allowUntrustedCert: boolean('allow_untrusted_cert').notNull().default(false),
    // Off: without implicit TLS the password is sent only after STARTTLS; a server that offers no
    // encryption at all is refused rather than given the password in cleartext.
    allowCleartextLogin: boolean('allow_cleartext_login').notNull().default(false),
    markSeen: boolean('mark_seen').notNull().default(true),
    // Seconds between checks (NOOP) of an idling connection; null: rely on IDLE and the poll. Servers
    // that announce new mail to IDLE clients only every minute or so (stock Cyrus, Courier) look at once.
    checkIntervalSeconds: integer('check_interval_seconds'),
    // POP3 has no push: seconds between polls; null: POP3_POLL_INTERVAL_MS.
    pollIntervalSeconds: integer('poll_interval_seconds'),
    // POP3: null keeps every message on the server; N deletes a message N days after it was stored.
    pop3DeleteAfterDays: integer('pop3_delete_after_days'),
    // The authserv-id (RFC 8601) that this mailbox's own mail server writes in Authentication-Results.
    // Null: results are not read at all, since any sender can write that header.
    authservId: text('authserv_id'),
    // What a DMARC failure at that server does; each can be turned off.
    dmarcFailNewContact: boolean('dmarc_fail_new_contact').notNull().default(true),
    dmarcFailNoAutoReply: boolean('dmarc_fail_no_auto_reply').notNull().default(true),
    dmarcFailFlag: boolean('dmarc_fail_flag').notNull().default(true),

    // Outgoing mail (agent replies and auto-replies), see server/services/outgoing-servers.ts.
    outgoingMode: outgoingMode('outgoing_mode').notNull().default('system'),
    smtpHost: text('smtp_host'),
    smtpPort: integer('smtp_port'),
    smtpSecurity: smtpSecurity('smtp_security').notNull().default('starttls'),
    smtpAllowUntrustedCert: boolean('smtp_allow_untrusted_cert').notNull().default(false),
    // Null: the mailbox's login.
    smtpLogin: text('smtp_login'),
    // Sealed like password_ciphertext, bound to the SMTP settings it was typed for. Null: the mailbox's
    // own password, allowed only while the SMTP host is the mailbox's IMAP host (the password's own server).
    smtpPasswordCiphertext: text('smtp_password_ciphertext'),
    // Appended to replies; {agent} and {case} are replaced (server/domain/reply-signature.ts).
    signature: text('signature').notNull().default(''),
    copyToSent: boolean('copy_to_sent').notNull().default(true),

    // Sync cursor: advances in the same transaction that stores a message.
    uidValidity: bigint('uid_validity', { mode: 'number' }),
    lastUid: bigint('last_uid', { mode: 'number' }).notNull().default(0),
    // Messages with a UID up to this one were in the mailbox at the first sync: an import, no auto-replies.
    importUntilUid: bigint('import_until_uid', { mode: 'number' }),
    importTotal: integer('import_total').notNull().default(0),
    importDone: integer('import_done').notNull().default(0),
    // The import under way is a resync after a UIDVALIDITY change, not the first sync: mail not stored
    // yet arrived after the processor was set up, so it is live (auto-reply rules apply).
    importIsResync: boolean('import_is_resync').notNull().default(false),

    syncStatus: processorSyncStatus('sync_status'),
    lastError: text('last_error'),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    // The AppError code of last_error: tells an outage of a server that worked from a wrong setting,
    // and Leopard's own failures from the server's.
    lastErrorCode: text('last_error_code'),
    // Milliseconds from reaching the mailbox (INTERNALDATE) to stored, for the last live messages, newest last.
    deliveryDelaysMs: integer('delivery_delays_ms').array().notNull().default(sql`'{}'::integer[]`),
    // When a poll last found mail that the server had not announced to the IDLE connection.
    unannouncedMailAt: timestamp('unannounced_mail_at', { withTimezone: true }),
    // The server's counts disagreed with its UID SEARCH answer; the mail was listed another way.
    listingDiscrepancy: text('listing_discrepancy'),
    listingDiscrepancyAt: timestamp('listing_discrepancy_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('email_processors_email_lower_key').on(sql`lower(${t.emailAddress})`),
  ],
);

export const filterMatchField = pgEnum('filter_match_field', [
  'from_address',
  'from_name',
  'to',
  'cc',
  'subject',
  'body',
  'header',
]);

export const filterMatchRule = pgEnum('filter_match_rule', [
  'contains',
  'not_contains',
  'equals',
  'starts_with',
  'ends_with',
  'regex',
]);

export const processorFilters = pgTable(
  'processor_filters',
  {
    id: id(),
    processorId: uuid('processor_id')
      .notNull()
      .references(() => emailProcessors.id, { onDelete: 'cascade' }),
    priority: integer('priority').notNull().default(100),
    // No field and no rule: the default filter, it matches every message.
    matchField: filterMatchField('match_field'),
    headerName: text('header_name'),
    matchRule: filterMatchRule('match_rule'),
    matchValue: text('match_value'),
    stopFiltering: boolean('stop_filtering').notNull().default(false),
    caseTypeId: uuid('case_type_id').references(() => caseTypes.id, { onDelete: 'set null' }),
    casePriorityId: uuid('case_priority_id').references(() => casePriorities.id, { onDelete: 'set null' }),
    assignedToId: uuid('assigned_to_id').references(() => users.id, { onDelete: 'set null' }),
    managedById: uuid('managed_by_id').references(() => users.id, { onDelete: 'set null' }),
    ...timestamps,
  },
  (t) => [index('processor_filters_processor_priority_idx').on(t.processorId, t.priority)],
);

export const emailProcessorsRelations = relations(emailProcessors, ({ many }) => ({
  filters: many(processorFilters),
}));

export const processorFiltersRelations = relations(processorFilters, ({ one }) => ({
  processor: one(emailProcessors, { fields: [processorFilters.processorId], references: [emailProcessors.id] }),
  caseType: one(caseTypes, { fields: [processorFilters.caseTypeId], references: [caseTypes.id] }),
  casePriority: one(casePriorities, { fields: [processorFilters.casePriorityId], references: [casePriorities.id] }),
  assignedTo: one(users, { fields: [processorFilters.assignedToId], references: [users.id], relationName: 'filterAssignee' }),
  managedBy: one(users, { fields: [processorFilters.managedById], references: [users.id], relationName: 'filterManager' }),
}));

// Which worker holds a processor, until when (server/services/leases.ts); no row: nobody. A lapsed lease is
// free to take. Kept apart from email_processors, whose row an ingest locks for its whole transaction: a
// worker renewing thousands of leases at once never waits behind (nor holds up) a mailbox's ingest.
export const processorLeases = pgTable(
  'processor_leases',
  {
    processorId: uuid('processor_id')
      .primaryKey()
      .references(() => emailProcessors.id, { onDelete: 'cascade' }),
    leaseOwner: text('lease_owner').notNull(),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('processor_leases_owner_idx').on(t.leaseOwner, t.leaseExpiresAt)],
);

// Workers announce themselves here on every supervisor tick, so each can tell how many share the
// mailboxes and take only its fair part: a worker started later gets work without anyone dying.
export const workers = pgTable('workers', {
  id: text('id').primaryKey(),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  // The outgoing transport this worker sends the outbox with ('resend', 'smtp'), null when it has
  // none: the web app warns on processors with auto-reply when no live worker can send.
  outboundTransport: text('outbound_transport'),
  // The key of the session-level advisory lock this worker holds while its database session lives
  // (server/services/worker-liveness.ts), and the start time of the PostgreSQL server it was taken on: a freed
  // lock means a dead worker only on that same server run (a restart frees every lock at once).
  livenessKey: integer('liveness_key'),
  livenessServerStart: timestamp('liveness_server_start', { withTimezone: true }),
});
