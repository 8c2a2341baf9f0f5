import { bigint, index, pgTable, primaryKey, text, timestamp, uuid, integer } from 'drizzle-orm/pg-core';
import { emailProcessors } from './processors';

// The POP3 messages a processor has taken, by UIDL (RFC 1939: the server's unique id of a message). A row is
// written in the same transaction as the case change (or quarantine entry) of its message, so a UIDL is here
// exactly when its mail is stored: a crash before the commit leaves neither, and the next poll takes it again.
// `uid`: the number the message was stored under (raw_messages.uid, in the processor's POP3 namespace).
// `size`: the size LIST gave; the same UIDL with another size is a reused UIDL, so a different message.
// `deleted_at`: when Leopard deleted it from the server (delete after N days), never before `stored_at`.
export const pop3Taken = pgTable(
  'pop3_taken',
  {
    processorId: uuid('processor_id')
      .notNull()
      .references(() => emailProcessors.id, { onDelete: 'cascade' }),
    uidl: text('uidl').notNull(),
    uid: bigint('uid', { mode: 'number' }).notNull(),
    size: integer('size').notNull(),
    storedAt: timestamp('stored_at', { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.processorId, t.uidl] }), index('pop3_taken_due_idx').on(t.processorId, t.storedAt)],
);
