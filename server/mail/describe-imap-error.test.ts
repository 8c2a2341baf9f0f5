// The classification of failures that a local Dovecot cannot produce on demand (expired
// certificates, DNS outages, a missing INBOX, a server that hangs up), built as Node and ImapFlow
// report them. The imap tier (imap-probe.imap.test.ts) covers the ones a real server produces.
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { describeImapError, internalFailure, isMailServerError } from './describe-imap-error';

const ctx = { host: 'imap.example.test', port: 993, useSsl: true };

function nodeError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('describeImapError', () => {
  it('names an expired certificate and keeps the original error as the cause', () => {
    const cause = nodeError('CERT_HAS_EXPIRED', 'certificate has expired');
    const err = describeImapError(cause, ctx);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('IMAP_TLS');
    expect(err.message).toBe(
      "The server's TLS certificate is not trusted (expired). Turn on 'Accept untrusted certificate' only if you trust this server.",
    );
    expect(err.cause).toBe(cause);
  });

  it('names a certificate for another host and one from an unknown authority', () => {
    expect(describeImapError(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), ctx).message).toContain(
      '(issued for another host name)',
    );
    expect(describeImapError(nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), ctx).message).toContain(
      '(issued by an unknown authority)',
    );
  });

  it('reports a temporary DNS failure as host-not-found, saying it may pass', () => {
    const err = describeImapError(nodeError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN imap.example.test', { hostname: 'imap.example.test' }), ctx);
    expect(err.code).toBe('IMAP_HOST_NOT_FOUND');
    expect(err.message).toContain('temporary DNS failure');
  });

  it('reports an unreachable network like a refused connection', () => {
    const err = describeImapError(nodeError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.1:993'), ctx);
    expect(err.code).toBe('IMAP_CONNECTION_REFUSED');
    expect(err.message).toContain('imap.example.test:993 cannot be reached');
  });

  it('reports a missing INBOX with the server text', () => {
    const err = describeImapError(
      Object.assign(new Error('Command failed'), {
        responseStatus: 'NO',
        responseText: "Mailbox doesn't exist: INBOX",
        executedCommand: '8 EXAMINE INBOX',
        mailboxMissing: true,
      }),
      ctx,
    );
    expect(err.code).toBe('IMAP_NO_INBOX');
    expect(err.message).toContain(`The server said: "Mailbox doesn't exist: INBOX"`);
  });

  it('reports a hang-up with the BYE reason the server gave', () => {
    const err = describeImapError(Object.assign(new Error('Unexpected close'), { code: 'ClosedAfterConnectText', reason: 'Too many connections' }), ctx);
    expect(err.code).toBe('IMAP_PROTOCOL');
    expect(err.message).toBe('imap.example.test:993 closed the connection unexpectedly. The server said: "Too many connections"');
  });

  it('reports a refused command by its name only, not its arguments', () => {
    const err = describeImapError(
      Object.assign(new Error('Command failed'), { responseStatus: 'BAD', responseText: 'Error in IMAP command', executedCommand: '5 SELECT "Personal folder of Jane"' }),
      ctx,
    );
    expect(err.code).toBe('IMAP_PROTOCOL');
    expect(err.message).toBe('The server refused the SELECT command. The server said: "Error in IMAP command"');
  });

  it('asks for TLS when the server refuses a password in cleartext', () => {
    const err = describeImapError(
      Object.assign(new Error('Command failed'), { responseStatus: 'NO', serverResponseCode: 'PRIVACYREQUIRED', responseText: 'Plaintext authentication disallowed' }),
      { ...ctx, useSsl: false, port: 143 },
    );
    expect(err.code).toBe('IMAP_AUTH_FAILED');
    expect(err.message).toContain('Turn on SSL/TLS');
  });

  it('passes an AppError through; an ImapFlow error it cannot name stays a protocol error', () => {
    const appError = new AppError('IMAP_TIMEOUT', 'already described');
    expect(describeImapError(appError)).toBe(appError);
    const err = describeImapError(nodeError('ECONNRESET', 'socket hang up'));
    expect(err.code).toBe('IMAP_PROTOCOL');
    expect(err.message).toContain('closed the connection unexpectedly');
  });
});

describe('a failure of Leopard itself', () => {
  // As drizzle reports a failed statement: the SQL and its parameters are in the message.
  const dbError = Object.assign(new Error('Failed query: update "email_processors" set "sync_status" = $1 where "id" = $2\nparams: idle,3f1c'), {
    name: 'DrizzleQueryError',
    cause: Object.assign(new Error('relation "email_processors" does not exist'), { code: '42P01', severity: 'ERROR' }),
  });

  it('is not reported as the mail server\'s fault and never shows SQL or parameters', () => {
    expect(isMailServerError(dbError)).toBe(false);
    expect(isMailServerError(dbError.cause)).toBe(false);
    const err = describeImapError(dbError, ctx);
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain('Leopard failed');
    expect(err.message).not.toMatch(/Failed query|email_processors|params|\$1/);
  });

  it('carries an id to find in the worker log', () => {
    const err = internalFailure('e-7f3a9c');
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain('error id e-7f3a9c');
    expect(err.message).toContain('not at fault');
  });

  it('tells mail server failures apart: socket, DNS, TLS, IMAP answers and ImapFlow connection errors', () => {
    expect(isMailServerError(nodeError('ECONNREFUSED', 'connect ECONNREFUSED'))).toBe(true);
    expect(isMailServerError(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND'))).toBe(true);
    expect(isMailServerError(nodeError('CERT_HAS_EXPIRED', 'certificate has expired'))).toBe(true);
    expect(isMailServerError(nodeError('NoConnection', 'Connection not available'))).toBe(true);
    expect(isMailServerError(Object.assign(new Error('Command failed'), { responseStatus: 'NO', responseText: 'Mailbox is locked' }))).toBe(true);
    expect(isMailServerError(new TypeError("Cannot read properties of undefined (reading 'uid')"))).toBe(false);
  });
});

describe('a server that worked and now refuses or does not answer', () => {
  const workedBefore = new Date('2026-12-01T09:30:00Z');

  it('is an outage being retried, not a setting to check', () => {
    const refused = describeImapError(nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:993'), { ...ctx, workedBefore });
    expect(refused.code).toBe('IMAP_CONNECTION_REFUSED');
    expect(refused.message).toBe(
      'imap.example.test:993 refuses connections. It worked until 2026-12-01 09:30 UTC, so the server is down or restarting; Leopard keeps retrying by itself.',
    );
    const silent = describeImapError(nodeError('CONNECT_TIMEOUT', 'Timed out'), { ...ctx, workedBefore });
    expect(silent.message).toContain('does not answer');
    expect(silent.message).not.toContain('Check the host');
  });

  it('that never worked still says to check the host and port', () => {
    expect(describeImapError(nodeError('ECONNREFUSED', 'connect ECONNREFUSED'), ctx).message).toContain('Check the host and port');
  });
});

