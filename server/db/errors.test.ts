import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { describeError, errorCode, isRetryableTransactionError, isTransientDatabaseError } from './errors';

/** The shape postgres.js gives a server error: message, SQLSTATE code, optional detail. */
function postgresError(message: string, code: string, detail?: string): Error {
  return Object.assign(new Error(message), { code, detail });
}

function wrapped(cause: unknown): DrizzleQueryError {
  return new DrizzleQueryError('insert into "contacts" ("email") values ($1)', ['jane@customer.example'], cause as Error);
}

describe('describeError', () => {
  it("gives Postgres's message, detail and code, never drizzle's query and parameters", () => {
    const err = wrapped(postgresError('duplicate key value violates unique constraint "x"', '23505', 'Key (id)=(1) already exists.'));
    const text = describeError(err);
    expect(text).toBe('duplicate key value violates unique constraint "x": Key (id)=(1) already exists. (SQLSTATE 23505)');
    expect(text).not.toMatch(/Failed query|jane@customer\.example/);
  });

  it('gives the message of an error that is not from the database', () => {
    expect(describeError(new TypeError('x is undefined'))).toBe('x is undefined');
    expect(describeError('plain string')).toBe('plain string');
  });
});

describe('telling database failures from message failures', () => {
  it('counts lost connections, shutdowns, deadlocks and exhausted resources as transient', () => {
    for (const code of ['08006', '57P01', '40P01', '40001', '53300', 'CONNECTION_CLOSED', 'ECONNREFUSED']) {
      expect(isTransientDatabaseError(wrapped(postgresError('x', code))), code).toBe(true);
    }
  });

  it('counts errors about the data as the message’s own', () => {
    for (const code of ['23505', '22P05', '2200H', '54000', '57014']) {
      expect(isTransientDatabaseError(wrapped(postgresError('x', code))), code).toBe(false);
    }
    expect(isTransientDatabaseError(new Error('no code'))).toBe(false);
  });

  it('retries a transaction only for deadlocks and serialization failures', () => {
    expect(isRetryableTransactionError(wrapped(postgresError('deadlock detected', '40P01')))).toBe(true);
    expect(isRetryableTransactionError(wrapped(postgresError('terminating connection', '57P01')))).toBe(false);
    expect(errorCode(wrapped(postgresError('x', '40001')))).toBe('40001');
  });
});
