import { boolean, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns';

// Case types and priorities an admin picks from in filters and agents set on cases.
export const caseTypes = pgTable(
  'case_types',
  {
    id: id(),
    name: text('name').notNull(),
    position: integer('position').notNull().default(0),
    isDefault: boolean('is_default').notNull().default(false),
    ...timestamps,
  },
  (t) => [uniqueIndex('case_types_name_key').on(t.name)],
);

export const casePriorities = pgTable(
  'case_priorities',
  {
    id: id(),
    name: text('name').notNull(),
    position: integer('position').notNull().default(0),
    isDefault: boolean('is_default').notNull().default(false),
    ...timestamps,
  },
  (t) => [uniqueIndex('case_priorities_name_key').on(t.name)],
);
