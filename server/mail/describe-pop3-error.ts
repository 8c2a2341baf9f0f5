// A POP3 connection's failure in the admin's words, with the same codes as IMAP's (describe-imap-error.ts)
// so the processor page and the worker treat both alike. What is POP3's own is said here (its ports, STLS,
// UIDL, the -ERR answers); socket, DNS, certificate and outage wording is IMAP's, shared.
import { AppError } from '../errors';
import { describeImapError, type ImapErrorContext } from './describe-imap-error';
import type { Pop3Error } from './pop3-client';

function where(ctx: ImapErrorContext): string {
  if (!ctx.host) return 'the mail server';
  return ctx.port ? `${ctx.host}:${ctx.port}` : ctx.host;
}

export function describePop3Error(err: unknown, ctx: ImapErrorContext = {}): AppError {
  if (err instanceof AppError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as Partial<Pop3Error> & { reason?: string };
  const said = e.responseText ? ` The server said: "${e.responseText}"` : '';
  const make = (code: ConstructorParameters<typeof AppError>[0], message: string) => new AppError(code, message, { cause: err });
  if (e.code === 'NO_UIDL') {
    return make(
      'IMAP_NO_UIDL',
      `${where(ctx)} does not support UIDL, so Leopard cannot tell which messages it already took and does not read this mailbox. Use the server's IMAP access, or ask its provider to enable UIDL.${said}`,
    );
  }
  if (e.authenticationFailed) return make('IMAP_AUTH_FAILED', `The server rejected the login name or password.${said}`);
  if (e.code === 'POP3_TEMPORARY') {
    return make('IMAP_PROTOCOL', `The server accepted the login but cannot serve the mailbox now (${e.responseCode ?? 'busy'}); Leopard tries again.${said}`);
  }
  if (e.code === 'NO_STLS') {
    return make(
      'IMAP_TLS',
      `${where(ctx)} offers no encryption (no STLS), so Leopard did not send the password. Turn on SSL if the server has an SSL port (usually 995), or tick 'Allow a connection without encryption' only for a server on a network you trust.`,
    );
  }
  if (e.code === 'ECONNREFUSED' && !ctx.workedBefore) {
    return make('IMAP_CONNECTION_REFUSED', `${where(ctx)} refused the connection: nothing accepts POP3 connections on that port. Check the host and port.`);
  }
  if (e.code === 'GREETING_TIMEOUT' && ctx.useSsl === false) {
    return make('IMAP_TIMEOUT', `${where(ctx)} accepted the connection but sent no POP3 greeting. If this port expects SSL/TLS (usually 995), turn SSL on.`);
  }
  if (e.code === 'POP3_REFUSED') return make('IMAP_PROTOCOL', `The server refused the ${e.command ?? ''} command.${said}`.replace('the  command', 'a command'));
  const described = describeImapError(err, ctx);
  // IMAP's advice names IMAP's ports; POP3's are 995 (SSL) and 110.
  return described.message.includes('993')
    ? new AppError(described.code, described.message.replace(/993/g, '995').replace(/143/g, '110').replace(/plain IMAP/g, 'plain POP3').replace('STARTTLS', 'STLS'), { cause: err })
    : described;
}
