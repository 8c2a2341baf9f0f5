// A local SMTP server (the `smtp-server` package) that records every message it accepts: the
// envelope, the raw bytes and a mailparser parse of them. For the SMTP transport of auto-replies:
//   nodemailer.createTransport(server.url)   // smtp://[user:pass@]127.0.0.1:port
// No TLS unless `tls` is given (then STARTTLS is offered, or implicit TLS with `secure`); AUTH only when
// `auth` is given. Failures can be injected for the next messages (e.g. 451, to test retries). Each accepted
// message is answered "250 2.0.0 Ok: queued as <id>", the id recorded with it. `holdNextAcceptance()` makes
// the server record the next message as received but keep its 250 back: the moment between the server
// accepting a mail and the client hearing so, where a client can be killed. `port` reuses a port (a server
// that was stopped and comes back).
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import { ArrivalLog } from './arrival-log';

export type SmtpMail = {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  /** The login the client authenticated with, if AUTH was used. */
  username?: string;
  receivedAt: Date;
  /** The queue id this server answered with. */
  queueId: string;
  /** Whether the client's connection was TLS-protected when it sent the message. */
  secure: boolean;
};

export type InjectedSmtpFailure = { code: number; message: string };

export type FakeSmtpServer = {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** smtp:// URL with the credentials, for nodemailer.createTransport() or SMTP_URL. */
  readonly url: string;
  readonly mails: SmtpMail[];
  waitForMails(count: number, timeoutMs?: number): Promise<SmtpMail[]>;
  /** The next `count` messages are refused after DATA with this reply (default 451, temporary). */
  failNextMessages(count: number, failure?: InjectedSmtpFailure): void;
  /** The next message is recorded but its 250 is not sent until release() (or never, if the client dies). */
  holdNextAcceptance(): { release(): void; received: Promise<SmtpMail> };
  reset(): void;
  close(): Promise<void>;
};

export type StartSmtpServerOptions = {
  /** Require AUTH with these credentials. Without it, AUTH is not offered. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS with this certificate (or implicit TLS when `secure`). */
  tls?: { certPem: string; keyPem: string; secure?: boolean };
  /** Listen on this port (default: any free one). */
  port?: number;
  /**
   * Accept AUTH XOAUTH2 too: the token is introspected at the authorization server (test/harness/oidc-provider.ts)
   * and must be active and belong to the user named in the XOAUTH2 string, as Exchange Online and Gmail check.
   */
  oauth2?: { introspect(token: string): Promise<{ email?: string } | null> };
};

const TEMPORARY_FAILURE: InjectedSmtpFailure = { code: 451, message: 'Requested action aborted: local error in processing' };

export async function startSmtpServer(options: StartSmtpServerOptions = {}): Promise<FakeSmtpServer> {
  const arrivals = new ArrivalLog<SmtpMail>('SMTP messages');
  const failures: InjectedSmtpFailure[] = [];
  const { auth, tls, oauth2 } = options;
  const offersAuth = !!auth || !!oauth2;
  let holds: Array<{ released: Promise<void>; resolveReceived: (mail: SmtpMail) => void }> = [];
  let queueCounter = 0;

  const server = new SMTPServer({
    logger: false,
    // By default smtp-server reverse-resolves every client address through DNS; tests stay off the network.
    disableReverseLookup: true,
    ...(tls ? { key: tls.keyPem, cert: tls.certPem, secure: tls.secure ?? false } : {}),
    disabledCommands: [...(tls ? [] : ['STARTTLS']), ...(offersAuth ? [] : ['AUTH'])],
    authOptional: !offersAuth,
    ...(oauth2 ? { authMethods: auth ? ['PLAIN', 'LOGIN', 'XOAUTH2'] : ['XOAUTH2'] } : {}),
    allowInsecureAuth: true,
    closeTimeout: 1_000,
    onAuth(credentials: SMTPServerAuthentication, _session: SMTPServerSession, callback) {
      if (credentials.method === 'XOAUTH2' && oauth2) {
        const refused = () =>
          // RFC 7628's failure answer; smtp-server sends the 334 challenge and then this.
          callback(null, { data: { status: '401', schemes: 'bearer', scope: 'mail' } } as never);
        oauth2.introspect(credentials.accessToken ?? '').then(
          (info) => (info?.email && info.email.toLowerCase() === (credentials.username ?? '').toLowerCase() ? callback(null, { user: credentials.username }) : refused()),
          () => refused(),
        );
        return;
      }
      if (auth && credentials.username === auth.user && credentials.password === auth.pass) {
        callback(null, { user: credentials.username });
      } else {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const failure = failures.shift();
        if (failure) {
          callback(Object.assign(new Error(failure.message), { responseCode: failure.code }));
          return;
        }
        const raw = Buffer.concat(chunks);
        const queueId = `Q${process.pid.toString(36)}${(++queueCounter).toString(36).padStart(4, '0')}`.toUpperCase();
        const hold = holds.shift();
        simpleParser(raw).then(
          (parsed) => {
            const mail: SmtpMail = {
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              },
              raw,
              parsed,
              username: typeof session.user === 'string' ? session.user : undefined,
              receivedAt: new Date(),
              queueId,
              secure: session.secure,
            };
            arrivals.push(mail);
            if (!hold) return callback(null, `Ok: queued as ${queueId}`);
            hold.resolveReceived(mail);
            void hold.released.then(() => callback(null, `Ok: queued as ${queueId}`));
          },
          (err: Error) => callback(err),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : '';

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    mails: arrivals.items,
    waitForMails: (count, timeoutMs = 5_000) => arrivals.waitFor(count, timeoutMs),
    failNextMessages(count, failure = TEMPORARY_FAILURE) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    holdNextAcceptance() {
      let release!: () => void;
      let resolveReceived!: (mail: SmtpMail) => void;
      const released = new Promise<void>((r) => (release = r));
      const received = new Promise<SmtpMail>((r) => (resolveReceived = r));
      holds.push({ released, resolveReceived });
      return { release, received };
    },
    reset() {
      arrivals.clear();
      failures.length = 0;
      holds = [];
    },
    close() {
      arrivals.abandon('the fake SMTP server was closed');
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
