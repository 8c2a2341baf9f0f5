// Outbound mail transports: the system transport (Resend in production, or SMTP_URL for self-hosting) and a
// processor's own SMTP server (server/services/outgoing-servers.ts loadProcessorSmtp). All take the same
// message; a transport error says whether retrying can help, and whether the mail may have gone out anyway.
//
// Decisions:
// - SMTP transports hand over the exact bytes composeRawMessage builds, so the copy APPENDed to the Sent
//   folder and the message the server received have the same headers.
// - Resend is idempotent by key (a repeated key answers with the first send's result): a claim lost after
//   the handover may be sent again. SMTP has no such key: see server/mail/smtp-send.ts and README.
import { Resend } from 'resend';
import type { Env } from '../server/env';
import { type ComposeAddress, composeRawMessage } from '../server/mail/compose-raw';
import { SmtpSendError, type SmtpServerSettings, smtpSend, smtpSettingsFromUrl } from '../server/mail/smtp-send';

export type OutgoingMessage = {
  from: ComposeAddress;
  to: ComposeAddress[];
  cc: ComposeAddress[];
  subject: string;
  text: string;
  html: string | null;
  /** Message-ID, In-Reply-To, References … as stored in the outbox. */
  headers: Record<string, string>;
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
  idempotencyKey: string;
};

export type SendResult = { providerMessageId: string | null; serverResponse: string | null; raw: Buffer | null };

export type SendHooks = {
  /** Called once, right before the message is handed over; throws to stop the attempt. */
  beforeHandover(): Promise<void>;
};

export class TransportError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown; uncertain?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TransportError';
    this.uncertain = options?.uncertain ?? false;
  }
  /** The message may have been accepted although no answer came. */
  readonly uncertain: boolean;
}

export type MailTransport = {
  /** 'resend', 'smtp:<host>:<port>' — recorded on the outbox row with the handover. */
  name: string;
  send(mail: OutgoingMessage, hooks: SendHooks): Promise<SendResult>;
  close(): void;
};

function formatAddress(a: ComposeAddress): string {
  return a.name ? `"${a.name.replace(/["\\\r\n]/g, '')}" <${a.address}>` : a.address;
}

export function resendTransport(apiKey: string, baseUrl?: string): MailTransport {
  const client = new Resend(apiKey, baseUrl ? { baseUrl } : undefined);
  return {
    name: 'resend',
    async send(mail, hooks) {
      await hooks.beforeHandover();
      const { data, error } = await client.emails.send(
        {
          from: formatAddress(mail.from),
          to: mail.to.map(formatAddress),
          ...(mail.cc.length > 0 ? { cc: mail.cc.map(formatAddress) } : {}),
          subject: mail.subject,
          text: mail.text,
          ...(mail.html ? { html: mail.html } : {}),
          headers: mail.headers,
          ...(mail.attachments.length > 0
            ? { attachments: mail.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })) }
            : {}),
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
      return { providerMessageId: data?.id ?? null, serverResponse: null, raw: null };
    },
    close() {},
  };
}

export function smtpTransport(server: SmtpServerSettings, name = `smtp:${server.host}:${server.port}`): MailTransport {
  return {
    name,
    async send(mail, hooks) {
      const raw = await composeRawMessage(mail);
      try {
        const result = await smtpSend({
          server,
          envelope: { from: mail.from.address, to: [...mail.to, ...mail.cc].map((a) => a.address) },
          raw,
          beforeHandover: () => hooks.beforeHandover(),
        });
        const refused = result.rejected.length > 0 ? ` (refused for ${result.rejected.join(', ')})` : '';
        return { providerMessageId: result.queueId, serverResponse: `${result.response}${refused}`, raw };
      } catch (err) {
        if (err instanceof SmtpSendError) throw new TransportError(err.message, err.permanent, { cause: err, uncertain: err.uncertain });
        throw err;
      }
    },
    close() {},
  };
}

/** Resend when its key is set, else SMTP when its URL is set, else none (mail waits, visibly). */
export function transportFromEnv(config: Pick<Env, 'RESEND_API_KEY' | 'RESEND_BASE_URL' | 'SMTP_URL'>): MailTransport | null {
  if (config.RESEND_API_KEY) return resendTransport(config.RESEND_API_KEY, config.RESEND_BASE_URL);
  if (config.SMTP_URL) return smtpTransport(smtpSettingsFromUrl(config.SMTP_URL), 'system-smtp');
  return null;
}
