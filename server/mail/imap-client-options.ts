// How Leopard opens an IMAP connection to a customer's mailbox: one place that turns the stored
// processor settings into ImapFlow options, used by "Test connection" (imap-probe.ts) and by the
// worker's mailbox sessions, so both connect the same way.
import type { LookupFunction } from 'node:net';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import type { ImapFlowOptions } from 'imapflow';

export type ImapConnectionSettings = {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (usually port 993). When false, STARTTLS is used if the server offers it. */
  useSsl: boolean;
  login: string;
  password: string;
  /**
   * OAuth2: sign in with this access token (AUTHENTICATE XOAUTH2) instead of the password. For a shared mailbox the
   * login names that mailbox while the token is the signed-in user's.
   */
  accessToken?: string;
  /** Accept a certificate that does not verify (self-signed, expired, other host name). */
  allowUntrustedCert: boolean;
  /**
   * Log in over a connection that has no encryption at all (no SSL and the server offers no
   * STARTTLS). Off unless the admin ticked it: the password would cross the network readable.
   */
  allowCleartextLogin?: boolean;
  /** A PEM certificate (or CA) to trust in addition to the public CAs, e.g. a company's own CA. */
  extraCa?: string;
};

// A reachable server completes TCP + TLS in well under a second; 10 s leaves room for a slow
// network without letting a dead address hang the admin's form.
export const IMAP_CONNECTION_TIMEOUT_MS = 10_000;
// Some servers wait a few seconds before the greeting (reverse DNS of the client, tarpits).
export const IMAP_GREETING_TIMEOUT_MS = 10_000;
// Inactivity on an open connection after which it is considered dead. ImapFlow restarts IDLE
// well before this (see autoIdleDelay / maxIdleTime in the worker), so a healthy IDLE never hits it.
export const IMAP_SOCKET_TIMEOUT_MS = 5 * 60 * 1000;

/** What a caller may tune per use; the connection and TLS policy stay with the settings. */
export type ImapFlowOptionOverrides = Pick<
  ImapFlowOptions,
  | 'autoIdleDelay'
  | 'disableAutoIdle'
  | 'maxIdleTime'
  | 'missingIdleCommand'
  | 'qresync'
  | 'connectionTimeout'
  | 'greetingTimeout'
  | 'socketTimeout'
  | 'logger'
  | 'emitLogs'
  | 'id'
  | 'context'
  | 'expungeHandler'
> & {
  /** Host name resolution for the connection (Node's `dns.lookup` by default). */
  lookup?: LookupFunction;
};

export function buildImapTlsOptions(settings: Pick<ImapConnectionSettings, 'allowUntrustedCert' | 'extraCa'>): ConnectionOptions {
  const tls: ConnectionOptions = { rejectUnauthorized: !settings.allowUntrustedCert };
  // Node's `ca` replaces the public CAs instead of adding to them; keep them so a server with a
  // publicly signed certificate still verifies when an extra CA is configured.
  if (settings.extraCa) tls.ca = [...rootCertificates, settings.extraCa];
  return tls;
}

export function buildImapFlowOptions(settings: ImapConnectionSettings, overrides: ImapFlowOptionOverrides = {}): ImapFlowOptions {
  const { lookup, ...rest } = overrides;
  // ImapFlow hands `tls` to net.connect() as well as tls.connect(), so `lookup` applies to both.
  const tls: ConnectionOptions & { lookup?: LookupFunction } = buildImapTlsOptions(settings);
  if (lookup) tls.lookup = lookup;
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.useSsl,
    // Without implicit TLS, STARTTLS is required: a server that does not offer it (or a network that
    // strips it from the capability list) gets no password, unless the admin allowed a cleartext
    // login for this processor; then ImapFlow still upgrades whenever STARTTLS is offered.
    doSTARTTLS: settings.useSsl || settings.allowCleartextLogin ? undefined : true,
    tls,
    auth: settings.accessToken ? { user: settings.login, accessToken: settings.accessToken } : { user: settings.login, pass: settings.password },
    // Leopard logs connection problems itself, without personal data; ImapFlow's own log would
    // include mailbox names and server responses.
    logger: false,
    connectionTimeout: IMAP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: IMAP_GREETING_TIMEOUT_MS,
    socketTimeout: IMAP_SOCKET_TIMEOUT_MS,
    ...rest,
  };
}
