// One SMTP conversation: connect, (STARTTLS), AUTH, then hand one message over and read the server's answer.
// Used by the worker's outbox (worker/mail-transports.ts) and by "Send a test mail" (outgoing-servers.ts),
// so both talk to a server the same way. nodemailer's SMTP connection does the protocol; this file adds
// what the outbox needs to be honest about delivery:
// - `beforeHandover` runs after the connection and login succeeded and just before MAIL FROM: a failure
//   before it cannot have delivered anything, a crash after it may have (README "Exactly once").
// - An error is classified by what the server said: a 5xx is permanent (failed, in the server's words), a
//   4xx temporary (retry); no answer at all after the whole message was written is `uncertain` — the server
//   may have accepted it — and is never retried blindly.
// - The 250 reply is kept whole, and its queue id ("queued as 4Fq…", "id=1abc…") taken out of it.
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

// A reachable server completes TCP + TLS + greeting in well under a second; a dead one must not hold the outbox.
export const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
export const SMTP_GREETING_TIMEOUT_MS = 10_000;
// Inactivity during the conversation (a 25 MB message on a slow link keeps the socket busy, not idle).
export const SMTP_SOCKET_TIMEOUT_MS = 60_000;

export type SmtpServerSettings = {
  host: string;
  port: number;
  /** starttls: upgrade required before AUTH; tls: implicit TLS; opportunistic: STARTTLS when offered (SMTP_URL smtp://). */
  security: 'starttls' | 'tls' | 'opportunistic';
  allowUntrustedCert: boolean;
  /** A password, or (OAuth2 mailboxes) an access token sent with AUTH XOAUTH2. */
  auth: { user: string; pass: string; accessToken?: undefined } | { user: string; accessToken: string; pass?: undefined } | null;
  /** The name we greet with (EHLO); the sender's domain reads better in the receiving server's logs. */
  clientName?: string;
};

export type SmtpEnvelope = { from: string; to: string[] };

/** smtp-connection's login argument: credentials, or an XOAUTH2 token source (RFC 7628 initial response). */
function loginData(auth: NonNullable<SmtpServerSettings['auth']>) {
  if (auth.accessToken === undefined) return { credentials: auth };
  const { user, accessToken } = auth;
  return {
    oauth2: {
      getToken: (_isRetry: boolean, callback: (err: Error | null, token?: string) => void) => callback(null, accessToken),
      buildXOAuth2Token: (token: string) => Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64'),
    },
  };
}

export type SmtpSendResult = {
  /** The server's whole answer to the message, e.g. "250 2.0.0 Ok: queued as 4FqXyZ". */
  response: string;
  queueId: string | null;
  accepted: string[];
  rejected: string[];
};

export class SmtpSendError extends Error {
  constructor(
    message: string,
    /** Sending it again will fail the same way (5xx). */
    readonly permanent: boolean,
    /** The whole message was handed over and no answer came: it may have been accepted. */
    readonly uncertain: boolean,
    readonly responseCode: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SmtpSendError';
  }
}

/** "250 2.0.0 Ok: queued as 4FqXyZ" → "4FqXyZ"; Exim's "250 OK id=1abc-2def" → "1abc-2def". */
export function queueIdOf(response: string): string | null {
  const m = /queued as\s+<?([^\s>]+)>?/i.exec(response) ?? /\bid=([^\s]+)/i.exec(response) ?? /\bqueued\s+<?([A-Za-z0-9][^\s>]*)>?/i.exec(response);
  return m ? m[1]!.replace(/[.,;]$/, '') : null;
}

/** smtp://user:pass@host:port or smtps://… (the system transport's SMTP_URL). */
export function smtpSettingsFromUrl(url: string): SmtpServerSettings {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    security: secure ? 'tls' : 'opportunistic',
    allowUntrustedCert: u.searchParams.get('tls.rejectUnauthorized') === 'false',
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : null,
  };
}

export type SmtpSendOptions = {
  server: SmtpServerSettings;
  envelope: SmtpEnvelope;
  raw: Buffer;
  beforeHandover?: () => Promise<void>;
};

export async function smtpSend({ server, envelope, raw, beforeHandover }: SmtpSendOptions): Promise<SmtpSendResult> {
  const where = `${server.host}:${server.port}`;
  const connection = new SMTPConnection({
    host: server.host,
    port: server.port,
    secure: server.security === 'tls',
    requireTLS: server.security === 'starttls',
    name: server.clientName,
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
    // Node's default CA list (plus NODE_EXTRA_CA_CERTS) unless the admin accepted an unverified certificate.
    tls: { rejectUnauthorized: !server.allowUntrustedCert },
  });
  // Errors also arrive as events (a socket closed between steps); the step waiting on the server gets them.
  let failStep: ((err: Error) => void) | null = null;
  connection.on('error', (err: Error) => failStep?.(err));
  const step = <T>(run: (done: (err: Error | null | undefined, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      failStep = reject;
      run((err, value) => (err ? reject(err) : resolve(value as T)));
    });

  let handedOver = false;
  try {
    await step<void>((done) => connection.connect((err) => done(err)));
    if (server.auth) {
      const auth = server.auth;
      await step<void>((done) => connection.login(loginData(auth) as never, (err) => done(err)));
    }
    await beforeHandover?.();
    const body = Readable.from([raw]);
    body.on('end', () => (handedOver = true));
    const info = await step<SMTPConnection.SentMessageInfo>((done) => connection.send(envelope, body, (err, value) => done(err, value)));
    const response = String(info.response ?? '').trim();
    return { response, queueId: queueIdOf(response), accepted: info.accepted.map(String), rejected: info.rejected.map(String) };
  } catch (err) {
    throw classify(err, where, handedOver);
  } finally {
    failStep = null;
    try {
      connection.quit();
    } catch {
      connection.close();
    }
  }
}

function classify(err: unknown, where: string, handedOver: boolean): Error {
  if (err instanceof SmtpSendError || !(err instanceof Error)) return err as Error;
  const e = err as Error & { responseCode?: number; response?: string; code?: string };
  if (e.responseCode) {
    const words = (e.response ?? e.message).trim();
    return new SmtpSendError(`The SMTP server ${where} answered: ${words}`, e.responseCode >= 500, false, e.responseCode, { cause: err });
  }
  if (handedOver) {
    return new SmtpSendError(
      `The connection to ${where} ended after the message was handed over and before the server answered (${e.message}): it may have been delivered.`,
      false,
      true,
      null,
      { cause: err },
    );
  }
  return new SmtpSendError(`Could not send through ${where}: ${e.message}`, false, false, null, { cause: err });
}
