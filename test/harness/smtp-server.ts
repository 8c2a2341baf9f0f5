// A local SMTP server (the `smtp-server` package) that records every message it accepts: the
// envelope, the raw bytes and a mailparser parse of them. For the SMTP transport of auto-replies:
//   nodemailer.createTransport(server.url)   // smtp://[user:pass@]127.0.0.1:port
// No TLS (STARTTLS is not offered, so nodemailer sends in cleartext on loopback); AUTH only when
// `auth` is given. Failures can be injected for the next messages (e.g. 451, to test retries).
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
  reset(): void;
  close(): Promise<void>;
};

export type StartSmtpServerOptions = {
  /** Require AUTH with these credentials. Without it, AUTH is not offered. */
  auth?: { user: string; pass: string };
};

const TEMPORARY_FAILURE: InjectedSmtpFailure = { code: 451, message: 'Requested action aborted: local error in processing' };

export async function startSmtpServer(options: StartSmtpServerOptions = {}): Promise<FakeSmtpServer> {
  const arrivals = new ArrivalLog<SmtpMail>('SMTP messages');
  const failures: InjectedSmtpFailure[] = [];
  const { auth } = options;

  const server = new SMTPServer({
    logger: false,
    // By default smtp-server reverse-resolves every client address through DNS; tests stay off the network.
    disableReverseLookup: true,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    closeTimeout: 1_000,
    onAuth(credentials: SMTPServerAuthentication, _session: SMTPServerSession, callback) {
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
        simpleParser(raw).then(
          (parsed) => {
            arrivals.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              },
              raw,
              parsed,
              username: typeof session.user === 'string' ? session.user : undefined,
              receivedAt: new Date(),
            });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
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
    reset() {
      arrivals.clear();
      failures.length = 0;
    },
    close() {
      arrivals.abandon('the fake SMTP server was closed');
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
