// Turns whatever a mailbox connection failed with (an ImapFlow error, a socket/DNS/TLS error from
// Node, a timeout) into an AppError with a distinct code and a message an admin can act on,
// quoting the server's own words where it gave any. Used by "Test connection" and by the worker
// for a processor's error state, so both say the same thing about the same failure.
//
// Messages never contain the password: they are built from the error's code, the server's
// response text and the host/port, and ImapFlow's errors do not carry credentials (the failed
// command is recorded as "AUTHENTICATE PLAIN" / "LOGIN", without arguments).
import { AppError, type AppErrorCode } from '../errors';

export type ImapErrorContext = {
  host?: string;
  port?: number;
  useSsl?: boolean;
  /** The overall time budget, for timeout messages. */
  timeoutMs?: number;
  /**
   * When this mailbox last synced (the worker's view): a server that worked and now refuses or does not
   * answer is down or restarting, and the message says so instead of "check the host and port".
   */
  workedBefore?: Date | null;
};

type ErrorLike = {
  message?: string;
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  responseStatus?: string;
  responseText?: string;
  serverResponseCode?: string;
  mailboxMissing?: boolean;
  command?: string;
  executedCommand?: string;
  reason?: string;
  hostname?: string;
};

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'EAI_NONAME', 'EAI_FAIL']);
const UNREACHABLE_CODES = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT']);
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE', 'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS']);

// Certificate verification failures (OpenSSL's X509 errors as Node reports them, and Node's own
// host name check), with the words the message uses for each.
const CERT_PROBLEMS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'issued by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'issued by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issued by an unknown authority',
  CERT_UNTRUSTED: 'issued by an untrusted authority',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not valid yet',
  CERT_REVOKED: 'revoked',
  CERT_SIGNATURE_FAILURE: 'invalid signature',
  CERT_REJECTED: 'rejected',
  INVALID_CA: 'invalid authority certificate',
  HOSTNAME_MISMATCH: 'issued for another host name',
  ERR_TLS_CERT_ALTNAME_INVALID: 'issued for another host name',
};

const CLEARTEXT_ADVICE =
  "Turn on SSL if the server has an SSL port (usually 993), or tick 'Allow a connection without encryption' only for a server on a network you trust.";

const UNTRUSTED_ADVICE = "Turn on 'Accept untrusted certificate' only if you trust this server.";

function where(ctx: ImapErrorContext): string {
  if (!ctx.host) return 'the mail server';
  return ctx.port ? `${ctx.host}:${ctx.port}` : ctx.host;
}

function serverSaid(err: ErrorLike): string {
  const text = err.responseText?.trim() || err.reason?.trim();
  return text ? ` The server said: "${text}"` : '';
}

function make(code: AppErrorCode, message: string, cause: unknown): AppError {
  return new AppError(code, message, { cause });
}

/** ImapFlow's own error codes (errors.js ImapFlowErrorCode) that say something about the connection or server. */
const IMAPFLOW_CODES = new Set(['NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS', 'ETHROTTLE', 'EPROXY', 'StartTLSRequired']);

function outage(ctx: ImapErrorContext, what: string): string {
  return `${where(ctx)} ${what}. It worked until ${ctx.workedBefore!.toISOString().replace('T', ' ').slice(0, 16)} UTC, so the server is down or restarting; Leopard keeps retrying by itself.`;
}

/**
 * Whether a failure came from the mail server or the way to it (an IMAP answer, a socket, DNS or TLS error,
 * ImapFlow's connection errors), as opposed to Leopard's own (a database error, a bug), which must never be
 * reported as the server's fault.
 */
export function isMailServerError(err: unknown): boolean {
  if (err instanceof AppError) return err.code.startsWith('IMAP_');
  if (typeof err !== 'object' || err === null) return false;
  const e = err as ErrorLike & { name?: string };
  if (e.authenticationFailed || e.tlsFailed || e.mailboxMissing || e.responseStatus || e.serverResponseCode) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  if (!code) return false;
  return (
    DNS_CODES.has(code) ||
    UNREACHABLE_CODES.has(code) ||
    TIMEOUT_CODES.has(code) ||
    CLOSED_CODES.has(code) ||
    IMAPFLOW_CODES.has(code) ||
    code === 'ECONNREFUSED' ||
    code in CERT_PROBLEMS ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ParserError') ||
    code === 'EPROTO' ||
    code === 'STARTTLS_INJECTION'
  );
}

/** Leopard's own failure, for the admin: no SQL, no parameters, an id to find the details in the worker's log. */
export function internalFailure(errorId: string): AppError {
  return new AppError(
    'INTERNAL',
    `Leopard failed while working this mailbox (error id ${errorId}); the mail server is not at fault. The worker's log has the details under this id. Leopard retries by itself.`,
  );
}

export function describeImapError(err: unknown, ctx: ImapErrorContext = {}): AppError {
  if (err instanceof AppError) return err;
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : { message: String(err) };
  const code = e.code ?? '';
  const upperResponseCode = e.serverResponseCode?.toUpperCase();

  if (e.authenticationFailed || upperResponseCode === 'AUTHENTICATIONFAILED' || upperResponseCode === 'AUTHORIZATIONFAILED') {
    return make('IMAP_AUTH_FAILED', `The server rejected the login name or password.${serverSaid(e)}`, err);
  }
  if (upperResponseCode === 'PRIVACYREQUIRED' || /LOGINDISABLED/i.test(e.message ?? '')) {
    return make('IMAP_AUTH_FAILED', `The server does not accept a password over an unencrypted connection. Turn on SSL/TLS.${serverSaid(e)}`, err);
  }

  if (ctx.workedBefore) {
    if (code === 'ECONNREFUSED') return make('IMAP_CONNECTION_REFUSED', outage(ctx, 'refuses connections'), err);
    if (TIMEOUT_CODES.has(code)) return make('IMAP_TIMEOUT', outage(ctx, 'does not answer'), err);
    if (DNS_CODES.has(code)) return make('IMAP_HOST_NOT_FOUND', outage(ctx, 'cannot be looked up (DNS)'), err);
  }
  if (DNS_CODES.has(code)) {
    const host = e.hostname ?? ctx.host ?? 'the mail server';
    return code === 'EAI_AGAIN'
      ? make('IMAP_HOST_NOT_FOUND', `The name ${host} could not be looked up right now (temporary DNS failure). Check the host name, or try again.`, err)
      : make('IMAP_HOST_NOT_FOUND', `The mail server ${host} was not found (no such host name). Check the host name.`, err);
  }
  if (code === 'ECONNREFUSED') {
    return make('IMAP_CONNECTION_REFUSED', `${where(ctx)} refused the connection: nothing accepts IMAP connections on that port. Check the host and port.`, err);
  }
  if (UNREACHABLE_CODES.has(code)) {
    return make('IMAP_CONNECTION_REFUSED', `${where(ctx)} cannot be reached from this server (${code}). Check the host name and any firewall.`, err);
  }

  // ImapFlow's words when STARTTLS is required (imap-client-options.ts) and the server does not offer it.
  if (e.tlsFailed && ctx.useSsl === false && /does not support STARTTLS|STARTTLS is not possible/i.test(e.message ?? '')) {
    return make('IMAP_TLS', `${where(ctx)} offers no encryption (no STARTTLS), so Leopard did not send the password. ${CLEARTEXT_ADVICE}`, err);
  }

  const certProblem = CERT_PROBLEMS[code];
  if (certProblem) {
    const via = ctx.useSsl === false ? ' (offered through STARTTLS)' : '';
    return make('IMAP_TLS', `The server's TLS certificate${via} is not trusted (${certProblem}). ${UNTRUSTED_ADVICE}`, err);
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || code === 'STARTTLS_INJECTION' || e.tlsFailed) {
    const detail = e.reason || code || e.message;
    if (ctx.useSsl === false) {
      return make('IMAP_TLS', `Switching ${where(ctx)} to TLS with STARTTLS failed (${detail}).`, err);
    }
    return make(
      'IMAP_TLS',
      `The TLS handshake with ${where(ctx)} failed (${detail}): wrong port for SSL? Port 993 usually expects SSL; port 143 expects plain IMAP (upgraded with STARTTLS), so turn SSL off for it.`,
      err,
    );
  }

  if (TIMEOUT_CODES.has(code)) {
    if (code === 'GREETING_TIMEOUT' && ctx.useSsl === false) {
      return make('IMAP_TIMEOUT', `${where(ctx)} accepted the connection but sent no IMAP greeting. If this port expects SSL/TLS (usually 993), turn SSL on.`, err);
    }
    const budget = ctx.timeoutMs ? ` within ${ctx.timeoutMs >= 1000 ? `${Math.round(ctx.timeoutMs / 1000)} s` : `${ctx.timeoutMs} ms`}` : '';
    return make('IMAP_TIMEOUT', `${where(ctx)} did not answer${budget}. Check the host and port, and that this server may connect to it.`, err);
  }

  if (e.mailboxMissing || upperResponseCode === 'NONEXISTENT') {
    return make('IMAP_NO_INBOX', `The mailbox has no INBOX folder that this login may open.${serverSaid(e)}`, err);
  }

  if (CLOSED_CODES.has(code)) {
    return make('IMAP_PROTOCOL', `${where(ctx)} closed the connection unexpectedly.${serverSaid(e)}`, err);
  }
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') {
    const command = commandName(e);
    return make('IMAP_PROTOCOL', `The server refused ${command ? `the ${command} command` : 'a command'}.${serverSaid(e)}`, err);
  }
  if (!isMailServerError(err)) {
    // A database error's message holds SQL and parameters: never shown. The caller logs the error itself.
    return make('INTERNAL', `Leopard failed while working with ${where(ctx)}; the mail server is not at fault. The details are in the log.`, err);
  }
  return make('IMAP_PROTOCOL', `Unexpected error while talking to ${where(ctx)}: ${e.message ?? code ?? 'unknown error'}`, err);
}

// "8 EXAMINE INBOX" -> "EXAMINE". Only the command word: arguments may carry personal data.
function commandName(e: ErrorLike): string | undefined {
  if (e.command) return e.command.split(' ')[0];
  const words = e.executedCommand?.split(' ');
  return words && words.length > 1 ? words[1] : undefined;
}
