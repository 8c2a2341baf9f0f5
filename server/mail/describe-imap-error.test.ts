// The classification of failures that a local Dovecot cannot produce on demand (expired
// certificates, DNS outages, a missing INBOX, a server that hangs up), built as Node and ImapFlow
// report them. The imap tier (imap-probe.imap.test.ts) covers the ones a real server produces.
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { describeImapError } from './describe-imap-error';

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

  it('passes an AppError through and wraps anything else as a protocol error', () => {
    const appError = new AppError('IMAP_TIMEOUT', 'already described');
    expect(describeImapError(appError)).toBe(appError);
    const err = describeImapError('socket hang up');
    expect(err.code).toBe('IMAP_PROTOCOL');
    expect(err.message).toBe('Unexpected error while talking to the mail server: socket hang up');
  });
});
