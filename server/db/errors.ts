// Telling database errors apart. drizzle wraps every error as "Failed query: <sql> params: <values>",
// so the useful part (Postgres's message, its SQLSTATE code) is on err.cause; and the params can hold a
// whole raw mail with its addresses, which must not end up in a log line or an admin's screen.
import { DrizzleQueryError } from 'drizzle-orm/errors';

/** The Postgres error behind a drizzle error, or the error itself. */
export function rootError(err: unknown): unknown {
  let current = err;
  while (current instanceof DrizzleQueryError && current.cause !== undefined) current = current.cause;
  return current;
}

/** SQLSTATE of a Postgres error (e.g. "23505"), or postgres.js's connection error code, or null. */
export function errorCode(err: unknown): string | null {
  const code = (rootError(err) as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

const MAX_DESCRIPTION_CHARS = 2000;

/**
 * One line for an admin or a log: the Postgres message with its code and detail, never the query's
 * parameters. Non-database errors give their own message.
 */
export function describeError(err: unknown): string {
  const root = rootError(err);
  if (!(root instanceof Error)) return String(root).slice(0, MAX_DESCRIPTION_CHARS);
  const { code, detail } = root as Error & { code?: unknown; detail?: unknown };
  const parts = [root.message];
  if (typeof detail === 'string' && detail !== '') parts.push(detail);
  const text = parts.join(': ') + (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : '');
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_DESCRIPTION_CHARS);
}

// postgres.js reports a broken connection with these codes (not SQLSTATEs), Node with the E* ones.
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when the error says nothing about the data being written: the database is unreachable, shutting
 * down, out of resources, or chose this transaction as a deadlock or serialization victim. Such a failure
 * must not quarantine a message (the next attempt will likely succeed); the caller retries later.
 * SQLSTATE classes: 08 connection, 40 transaction rollback, 53 insufficient resources, 57P admin
 * shutdown / crash / cannot connect now, 58 system error.
 */
export function isTransientDatabaseError(err: unknown): boolean {
  const code = errorCode(err);
  if (code === null) return false;
  if (CONNECTION_CODES.has(code)) return true;
  return /^(08|40|53|58)/.test(code) || /^57P/.test(code);
}

/** Deadlock or serialization failure: retrying the same transaction is the standard answer. */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = errorCode(err);
  return code === '40001' || code === '40P01';
}
