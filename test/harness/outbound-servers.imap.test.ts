// The local Resend and SMTP servers accept what the real clients send (the `resend` SDK and
// nodemailer), keep the auto-reply headers intact, and fail on request the way the real services
// do, so the outbox sender's retries can be tested against them. (In the imap tier because it is
// the tier that runs harness servers.)
import nodemailer from 'nodemailer';
import { Resend } from 'resend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startResendServer, type FakeResendServer } from './resend-server';
import { startSmtpServer, type FakeSmtpServer } from './smtp-server';

const ORIGINAL_ID = '<CAF=original.123@mail.example.test>';

const autoReply = {
  from: 'Support <support@leopard.test>',
  to: ['customer@example.test'],
  replyTo: 'support@leopard.test',
  subject: 'Re: Printer on fire [LC0001234]',
  text: 'We received your message and opened case LC0001234.',
  html: '<p>We received your message and opened case <b>LC0001234</b>.</p>',
  headers: {
    'Auto-Submitted': 'auto-replied',
    'X-Auto-Response-Suppress': 'All',
    'In-Reply-To': ORIGINAL_ID,
    References: ORIGINAL_ID,
  },
};

describe('fake Resend server', () => {
  let server: FakeResendServer;
  let resend: Resend;

  beforeAll(async () => {
    server = await startResendServer();
    resend = new Resend(server.apiKey, { baseUrl: server.url });
  });

  afterEach(() => server.reset());

  afterAll(async () => {
    await server?.close();
  });

  it('receives a mail from the resend SDK with every field and header intact', async () => {
    const arrival = server.waitForMails(1);
    const { data, error } = await resend.emails.send(autoReply);
    expect(error).toBeNull();
    const [mail] = await arrival;
    expect(data).toEqual({ id: mail!.id });
    expect(mail).toMatchObject({
      from: autoReply.from,
      to: autoReply.to,
      replyTo: ['support@leopard.test'],
      subject: autoReply.subject,
      text: autoReply.text,
      html: autoReply.html,
      headers: autoReply.headers,
    });
    // The SDK sends reply_to in snake case; anything else it sends is kept as received.
    expect(mail!.body).toMatchObject({ reply_to: 'support@leopard.test' });
  });

  it('is found through RESEND_BASE_URL, which the SDK reads when a client is constructed', async () => {
    const previous = process.env.RESEND_BASE_URL;
    process.env.RESEND_BASE_URL = server.url;
    let fromEnv: Resend;
    try {
      fromEnv = new Resend(server.apiKey);
    } finally {
      if (previous === undefined) delete process.env.RESEND_BASE_URL;
      else process.env.RESEND_BASE_URL = previous;
    }
    const { error } = await fromEnv.emails.send(autoReply);
    expect(error).toBeNull();
    expect(server.mails).toHaveLength(1);
  });

  it('refuses a wrong API key with 401 and sends nothing', async () => {
    const { data, error } = await new Resend('re_wrong_key', { baseUrl: server.url }).emails.send(autoReply);
    expect(data).toBeNull();
    expect(error).toMatchObject({ statusCode: 401, name: 'validation_error' });
    expect(server.mails).toHaveLength(0);
  });

  it('sends a mail once per Idempotency-Key and answers a repeat with the first id', async () => {
    const first = await resend.emails.send(autoReply, { idempotencyKey: 'outbox-1' });
    const repeat = await resend.emails.send(autoReply, { idempotencyKey: 'outbox-1' });
    expect(first.error).toBeNull();
    expect(repeat.data).toEqual(first.data);
    expect(server.mails).toHaveLength(1);
    expect(server.mails[0]!.idempotencyKey).toBe('outbox-1');

    const conflicting = await resend.emails.send({ ...autoReply, subject: 'Something else' }, { idempotencyKey: 'outbox-1' });
    expect(conflicting.error).toMatchObject({ statusCode: 409, name: 'invalid_idempotent_request' });

    const other = await resend.emails.send(autoReply, { idempotencyKey: 'outbox-2' });
    expect(other.data!.id).not.toBe(first.data!.id);
    expect(server.mails).toHaveLength(2);
  });

  it('delivers on the retry after an injected 500', async () => {
    server.failNextRequests(1, { status: 500 });
    const failed = await resend.emails.send(autoReply, { idempotencyKey: 'outbox-3' });
    expect(failed.error).toMatchObject({ statusCode: 500, name: 'internal_server_error' });
    expect(server.mails).toHaveLength(0);

    const retried = await resend.emails.send(autoReply, { idempotencyKey: 'outbox-3' });
    expect(retried.error).toBeNull();
    expect(server.mails.map((m) => m.id)).toEqual([retried.data!.id]);
    expect(server.requests.map((r) => [r.status, r.injected ?? false])).toEqual([
      [500, true],
      [200, false],
    ]);
  });

  it('does not send twice when a 500 came after the mail was accepted and the retry reuses the key', async () => {
    server.failNextRequests(1, { status: 500, afterAccepting: true });
    const lost = await resend.emails.send(autoReply, { idempotencyKey: 'outbox-4' });
    expect(lost.error).toMatchObject({ statusCode: 500 });
    expect(server.mails).toHaveLength(1);

    const retried = await resend.emails.send(autoReply, { idempotencyKey: 'outbox-4' });
    expect(retried.data).toEqual({ id: server.mails[0]!.id });
    expect(server.mails).toHaveLength(1);
  });

  it('answers an injected 429 with a retry-after header', async () => {
    server.failNextRequests(1, { status: 429 });
    const limited = await resend.emails.send(autoReply);
    expect(limited.error).toMatchObject({ statusCode: 429, name: 'rate_limit_exceeded' });
    expect(limited.headers?.['retry-after']).toBe('1');
    expect((await resend.emails.send(autoReply)).error).toBeNull();
  });

  it('fails a wait for mails that do not come, saying how many did', async () => {
    await expect(server.waitForMails(1, 50)).rejects.toThrow('expected 1 mails, got 0 within 50 ms');
  });
});

describe('fake SMTP server', () => {
  const login = { user: 'leopard', pass: 's3cret:with@chars' };
  let server: FakeSmtpServer;

  beforeAll(async () => {
    server = await startSmtpServer({ auth: login });
  });

  afterEach(() => server.reset());

  afterAll(async () => {
    await server?.close();
  });

  it('receives an auto-reply from nodemailer with Auto-Submitted, In-Reply-To and References intact', async () => {
    const transport = nodemailer.createTransport(server.url);
    const arrival = server.waitForMails(1);
    const info = await transport.sendMail({
      from: autoReply.from,
      to: autoReply.to,
      replyTo: autoReply.replyTo,
      subject: autoReply.subject,
      text: autoReply.text,
      html: autoReply.html,
      inReplyTo: ORIGINAL_ID,
      references: [ORIGINAL_ID],
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
    });
    transport.close();
    const [mail] = await arrival;

    expect(mail!.username).toBe(login.user);
    expect(mail!.envelope).toEqual({ from: 'support@leopard.test', to: ['customer@example.test'] });
    expect(mail!.parsed.messageId).toBe(info.messageId);
    expect(mail!.parsed.subject).toBe(autoReply.subject);
    expect(mail!.parsed.inReplyTo).toBe(ORIGINAL_ID);
    expect(mail!.parsed.references).toBe(ORIGINAL_ID);
    expect(mail!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail!.parsed.headers.get('x-auto-response-suppress')).toBe('All');
    expect(mail!.parsed.text?.trim()).toBe(autoReply.text);
    expect(mail!.raw.toString('utf8')).toMatch(/^Auto-Submitted: auto-replied\r$/m);
  });

  it('refuses a wrong password with 535', async () => {
    const transport = nodemailer.createTransport({ host: server.host, port: server.port, secure: false, auth: { user: login.user, pass: 'wrong' } });
    await expect(transport.sendMail({ from: 'support@leopard.test', to: 'x@example.test', subject: 's', text: 't' })).rejects.toMatchObject({
      responseCode: 535,
    });
    transport.close();
    expect(server.mails).toHaveLength(0);
  });

  it('refuses the next message with an injected 451 and accepts the retry', async () => {
    server.failNextMessages(1);
    const transport = nodemailer.createTransport(server.url);
    const message = { from: 'support@leopard.test', to: 'x@example.test', subject: 'retry me', text: 't' };
    await expect(transport.sendMail(message)).rejects.toMatchObject({ responseCode: 451 });
    await transport.sendMail(message);
    transport.close();
    expect(server.mails.map((m) => m.parsed.subject)).toEqual(['retry me']);
  });
});
