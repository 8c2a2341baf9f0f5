// A local stand-in for Resend's REST API, enough for the `resend` SDK to send through it:
//   new Resend(server.apiKey, { baseUrl: server.url })   (or RESEND_BASE_URL=server.url, read when
//   the client is constructed). The SDK POSTs JSON to `${baseUrl}/emails` with
//   `Authorization: Bearer <key>` and, when given `{ idempotencyKey }`, an `Idempotency-Key` header.
//   It does not retry by itself: retries are the caller's (the outbox sender's) business.
//
// Behaviour follows Resend's documented API: `{ id }` on success; errors as
// `{ statusCode, name, message }` (401 missing_api_key / validation_error for a bad key,
// 422 missing_required_field, 409 invalid_idempotent_request, 429 rate_limit_exceeded with
// retry-after); a repeated Idempotency-Key with the same body answers with the first id and
// sends nothing new. Failures can be injected for the next requests, before or after the mail
// is accepted (a 500 after acceptance is the case idempotency keys exist for).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArrivalLog } from './arrival-log';

export type ResendMail = {
  id: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  html?: string;
  text?: string;
  headers: Record<string, string>;
  tags?: { name: string; value: string }[];
  attachments?: unknown[];
  idempotencyKey?: string;
  /** The JSON body exactly as the SDK sent it. */
  body: Record<string, unknown>;
  receivedAt: Date;
};

export type ResendRequestRecord = {
  method: string;
  path: string;
  status: number;
  idempotencyKey?: string;
  /** Set when the response was an injected failure. */
  injected?: boolean;
};

export type InjectedFailure = {
  status: 429 | 500 | 502 | 503;
  /** Accept and record the mail, then answer with the failure (the response was "lost"). */
  afterAccepting?: boolean;
};

export type FakeResendServer = {
  /** Base URL for the SDK's `baseUrl` option or RESEND_BASE_URL. */
  readonly url: string;
  readonly apiKey: string;
  /** Accepted mails, in order; a mail sent twice with one Idempotency-Key appears once. */
  readonly mails: ResendMail[];
  readonly requests: ResendRequestRecord[];
  waitForMails(count: number, timeoutMs?: number): Promise<ResendMail[]>;
  /** The next `count` POST /emails requests that pass the key check fail with `failure.status` (default 500). */
  failNextRequests(count: number, failure?: InjectedFailure): void;
  reset(): void;
  close(): Promise<void>;
};

export type StartResendServerOptions = { apiKey?: string };

const MAX_BODY_BYTES = 40 * 1024 * 1024; // Resend's limit for a mail with attachments
const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

type ApiError = { statusCode: number; name: string; message: string };
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const errorReply = (statusCode: number, name: string, message: string, headers?: Record<string, string>): Reply => ({
  status: statusCode,
  body: { statusCode, name, message } satisfies ApiError,
  headers,
});

const FAILURE_REPLIES: Record<InjectedFailure['status'], () => Reply> = {
  429: () =>
    errorReply(429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second. See rate limit response headers for more information.', {
      'retry-after': '1',
      'ratelimit-limit': '2',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '1',
    }),
  500: () => errorReply(500, 'internal_server_error', 'An unexpected error occurred.'),
  502: () => errorReply(502, 'application_error', 'Bad gateway.'),
  503: () => errorReply(503, 'application_error', 'Service unavailable.'),
};

const asList = (value: unknown): string[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);

export async function startResendServer(options: StartResendServerOptions = {}): Promise<FakeResendServer> {
  const apiKey = options.apiKey ?? `re_test_${randomUUID().replace(/-/g, '')}`;
  const arrivals = new ArrivalLog<ResendMail>('mails');
  const requests: ResendRequestRecord[] = [];
  // Idempotency-Key -> the raw body it was first used with and the id it produced.
  const idempotent = new Map<string, { rawBody: string; id: string }>();
  const failures: InjectedFailure[] = [];

  function accept(body: Record<string, unknown>, rawBody: string, idempotencyKey: string | undefined): Reply {
    if (idempotencyKey !== undefined) {
      const previous = idempotent.get(idempotencyKey);
      if (previous) {
        return previous.rawBody === rawBody
          ? { status: 200, body: { id: previous.id } }
          : errorReply(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.');
      }
    }
    for (const field of ['from', 'to', 'subject'] as const) {
      if (body[field] === undefined || body[field] === '') return errorReply(422, 'missing_required_field', `Missing \`${field}\` field.`);
    }
    if (body.html === undefined && body.text === undefined && body.template === undefined) {
      return errorReply(422, 'missing_required_field', 'Missing `html` or `text` field.');
    }
    const id = randomUUID();
    if (idempotencyKey !== undefined) idempotent.set(idempotencyKey, { rawBody, id });
    arrivals.push({
      id,
      from: String(body.from),
      to: asList(body.to),
      cc: asList(body.cc),
      bcc: asList(body.bcc),
      replyTo: asList(body.reply_to),
      subject: String(body.subject),
      html: body.html as string | undefined,
      text: body.text as string | undefined,
      headers: (body.headers as Record<string, string> | undefined) ?? {},
      tags: body.tags as ResendMail['tags'],
      attachments: body.attachments as unknown[] | undefined,
      idempotencyKey,
      body,
      receivedAt: new Date(),
    });
    return { status: 200, body: { id } };
  }

  function sendEmail(req: http.IncomingMessage, rawBody: string): Reply & { injected?: boolean } {
    const authorization = req.headers.authorization;
    if (!authorization) return errorReply(401, 'missing_api_key', 'Missing API key in the authorization header');
    if (authorization !== `Bearer ${apiKey}`) return errorReply(401, 'validation_error', 'API key is invalid');

    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      return errorReply(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return errorReply(400, 'validation_error', 'The request body is not valid JSON.');
    }

    const failure = failures.shift();
    if (failure && !failure.afterAccepting) return { ...FAILURE_REPLIES[failure.status](), injected: true };
    const reply = accept(body, rawBody, idempotencyKey);
    if (failure) return { ...FAILURE_REPLIES[failure.status](), injected: true };
    return reply;
  }

  function getEmail(id: string): Reply {
    const mail = arrivals.items.find((m) => m.id === id);
    if (!mail) return errorReply(404, 'not_found', 'Email not found');
    return {
      status: 200,
      body: {
        object: 'email',
        id: mail.id,
        from: mail.from,
        to: mail.to,
        cc: mail.cc,
        bcc: mail.bcc,
        reply_to: mail.replyTo,
        subject: mail.subject,
        html: mail.html ?? null,
        text: mail.text ?? null,
        created_at: mail.receivedAt.toISOString(),
        last_event: 'delivered',
      },
    };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      let reply: Reply & { injected?: boolean };
      if (size > MAX_BODY_BYTES) reply = errorReply(413, 'validation_error', 'Request body too large.');
      else if (req.method === 'POST' && path === '/emails') reply = sendEmail(req, Buffer.concat(chunks).toString('utf8'));
      else if (req.method === 'GET' && path.startsWith('/emails/')) reply = getEmail(decodeURIComponent(path.slice('/emails/'.length)));
      else reply = errorReply(404, 'not_found', 'The requested endpoint does not exist.');
      requests.push({
        method: req.method ?? '',
        path,
        status: reply.status,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        injected: reply.injected,
      });
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    mails: arrivals.items,
    requests,
    waitForMails: (count, timeoutMs = 5_000) => arrivals.waitFor(count, timeoutMs),
    failNextRequests(count, failure = { status: 500 }) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    reset() {
      arrivals.clear();
      requests.length = 0;
      idempotent.clear();
      failures.length = 0;
    },
    close() {
      arrivals.abandon('the fake Resend server was closed');
      // fetch keeps connections alive; without this, close() would wait for them to time out.
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
