import { relations, sql } from 'drizzle-orm';
import { boolean, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns';

export const userRole = pgEnum('user_role', ['admin', 'agent']);

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: userRole('role').notNull().default('agent'),
    active: boolean('active').notNull().default(true),
    ...timestamps,
  },
  (t) => [uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`)],
);

// Sign-in attempts, counted per key ("account:<email>", "address:<ip>", "device:<id>"; see
// server/auth/throttle-policy.ts). An attempt is counted before its password is checked, so
// parallel guesses cannot all read the same count (`failures` is that count).
export const signInThrottle = pgTable('sign_in_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull().default(0),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull().defaultNow(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
});

// One row per signed-in browser. The session cookie (a JWT) names its row; a request is accepted only
// while the row exists, so signing out, a password reset, deactivation and demotion end sessions at
// their next request instead of when the cookie expires (server/services/sessions.ts).
export const userSessions = pgTable(
  'user_sessions',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('user_sessions_user_id_idx').on(t.userId)],
);

export const usersRelations = relations(users, () => ({}));
