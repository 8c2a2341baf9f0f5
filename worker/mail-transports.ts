// Outbound mail transports: Resend (production) or SMTP (self-hosting). Both take the same
// message; a transport error says whether retrying can help.
import nodemailer from 'nodemailer';
import { Resend } from 'resend';
import type { Env } from '../server/env';
import type { OutboxMail } from '../server/services/outbox';

export type SendResult = { providerMessageId: string | null };

export class TransportError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export type MailTransport = { name: string; send(mail: OutboxMail): Promise<SendResult>; close(): void };

function formatAddress(address: string, name: string): string {
  return name ? `"${name.replace(/["\\\r\n]/g, '')}" <${address}>` : address;
}

export function resendTransport(apiKey: string, baseUrl?: string): MailTransport {
  const client = new Resend(apiKey, baseUrl ? { baseUrl } : undefined);
  return {
    name: 'resend',
    async send(mail) {
      const { data, error } = await client.emails.send(
        {
          from: formatAddress(mail.fromAddress, mail.fromName),
          to: [formatAddress(mail.toAddress, mail.toName)],
          subject: mail.subject,
          text: mail.textBody,
          ...(mail.htmlBody ? { html: mail.htmlBody } : {}),
          headers: mail.headers,
        },
        // Resend answers a repeated key with the first send's result: a crash between sending
        // and recording cannot send twice.
        { idempotencyKey: mail.idempotencyKey },
      );
      if (error) {
        const status = (error as { statusCode?: number }).statusCode ?? 0;
        // 4xx other than rate limiting will fail the same way next time.
        const permanent = status >= 400 && status < 500 && status !== 429 && status !== 409;
        throw new TransportError(`Resend refused the mail: ${error.message} (${error.name})`, permanent);
      }
      return { providerMessageId: data?.id ?? null };
    },
    close() {},
  };
}

export function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport(url);
  return {
    name: 'smtp',
    async send(mail) {
      const { 'Message-ID': messageId, ...headers } = mail.headers;
      try {
        const info = await transporter.sendMail({
          from: formatAddress(mail.fromAddress, mail.fromName),
          to: formatAddress(mail.toAddress, mail.toName),
          subject: mail.subject,
          text: mail.textBody,
          ...(mail.htmlBody ? { html: mail.htmlBody } : {}),
          headers,
          ...(messageId ? { messageId } : {}),
        });
        return { providerMessageId: info.messageId ?? null };
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode ?? 0;
        throw new TransportError(`SMTP server refused the mail: ${(err as Error).message}`, code >= 500 && code < 600, { cause: err });
      }
    },
    close() {
      transporter.close();
    },
  };
}

/** Resend when its key is set, else SMTP when its URL is set, else none (mail waits, visibly). */
export function transportFromEnv(config: Pick<Env, 'RESEND_API_KEY' | 'RESEND_BASE_URL' | 'SMTP_URL'>): MailTransport | null {
  if (config.RESEND_API_KEY) return resendTransport(config.RESEND_API_KEY, config.RESEND_BASE_URL);
  if (config.SMTP_URL) return smtpTransport(config.SMTP_URL);
  return null;
}
