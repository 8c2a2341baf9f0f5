// Agents answering a case: the draft each agent keeps per case, and who is looking at or writing on a
// case right now (presence). Both belong to the web side; the worker never reads them.
import { sql } from 'drizzle-orm';
import { index, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases';
import { users } from './users';

// What the composer is writing: an email to the customer, or an internal note.
export const composerMode = pgEnum('composer_mode', ['reply', 'note']);

// One draft per agent and case, saved as the agent types, so a reload or a crashed browser loses nothing.
// To/CC are kept as typed (a half-written address survives the reload too); they are checked at Send.
export const caseDrafts = pgTable(
  'case_drafts',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    mode: composerMode('mode').notNull().default('reply'),
    // The editor's HTML (sanitized when saved) and its plain-text rendering.
    bodyHtml: text('body_html').notNull().default(''),
    bodyText: text('body_text').notNull().default(''),
    toText: text('to_text').notNull().default(''),
    ccText: text('cc_text').notNull().default(''),
    subject: text('subject').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.caseId] }), index('case_drafts_case_idx').on(t.caseId)],
);

// One row per browser tab watching a case (a Socket.IO connection), written by the web instance that holds
// the socket. Every instance reads the same rows, so agents on two web instances see each other. A row
// lives while its socket does: removed on disconnect, and kept alive by its instance's heartbeat, so the
// rows of an instance that died lapse at expires_at.
export const casePresence = pgTable(
  'case_presence',
  {
    socketId: text('socket_id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // Typing: what (a reply or a note) and until when the last keystroke counts.
    typingMode: composerMode('typing_mode'),
    typingUntil: timestamp('typing_until', { withTimezone: true }),
    since: timestamp('since', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true })
      .notNull()
      .default(sql`now() + interval '1 minute'`),
  },
  (t) => [index('case_presence_case_idx').on(t.caseId, t.expiresAt)],
);
