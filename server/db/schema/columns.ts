import { customType, timestamp, uuid } from 'drizzle-orm/pg-core';

// Column helpers shared by every area of the schema.
export const id = () => uuid('id').primaryKey().defaultRandom();

export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date()),
};

// drizzle-orm 0.45 has no bytea column; postgres.js reads and writes Buffers for it.
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType() {
    return 'bytea';
  },
});

// Full-text search vectors (see drizzle/migrations for the 'leopard_search' configuration they use).
export const tsvector = customType<{ data: string }>({
  dataType() {
    return 'tsvector';
  },
});
