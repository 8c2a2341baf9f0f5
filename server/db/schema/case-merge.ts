// What agents moved between cases (a merge, a split, one message moved), recorded so that a merge can be
// undone exactly: which messages and outbound mails moved, and what the target looked like right after.
// The rules live in server/domain/case-merge.ts, the writes in server/services/case-merge.ts.
import { boolean, index, integer, pgEnum, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { caseStatus, cases, contacts } from './cases';
import { id } from './columns';
import { users } from './users';

export const caseMoveKind = pgEnum('case_move_kind', ['merge', 'split', 'move']);

export const caseMoves = pgTable(
  'case_moves',
  {
    id: id(),
    kind: caseMoveKind('kind').notNull(),
    sourceCaseId: uuid('source_case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    targetCaseId: uuid('target_case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    // The case messages (with their attachments) and outbox rows that changed case.
    messageIds: uuid('message_ids').array().notNull(),
    outboxIds: uuid('outbox_ids').array().notNull(),
    // How many messages the target had right after: any other count later means something arrived
    // (or left) since, and the merge can no longer be undone exactly.
    targetMessageCount: integer('target_message_count').notNull(),
    // The target had no contact and took the source's: undo clears it again.
    targetContactId: uuid('target_contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    targetTookContact: boolean('target_took_contact').notNull().default(false),
    // The source's status before the merge, restored on undo.
    sourceStatus: caseStatus('source_status').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    undoneAt: timestamp('undone_at', { withTimezone: true }),
    undoneById: uuid('undone_by_id').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [index('case_moves_source_idx').on(t.sourceCaseId, t.createdAt), index('case_moves_target_idx').on(t.targetCaseId, t.createdAt)],
);
