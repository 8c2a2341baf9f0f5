// An outbound mail as the bytes that go to the SMTP server and into the mailbox's Sent folder, built by
// nodemailer's MailComposer (MIME structure, encodings, line lengths). The headers our outbox stored
// (Message-ID, In-Reply-To, References, Auto-Submitted …) go in exactly as stored, so what threads in the
// customer's client is what the thread shows.
import MailComposer from 'nodemailer/lib/mail-composer';

export type ComposeAddress = { address: string; name: string };

export type ComposeInput = {
  from: ComposeAddress;
  to: ComposeAddress[];
  cc: ComposeAddress[];
  subject: string;
  text: string;
  html: string | null;
  /** Extra headers, Message-ID included (with angle brackets). */
  headers: Record<string, string>;
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
  date?: Date;
};

export async function composeRawMessage(input: ComposeInput): Promise<Buffer> {
  const { 'Message-ID': messageId, ...headers } = input.headers;
  const composer = new MailComposer({
    from: input.from,
    to: input.to,
    cc: input.cc.length > 0 ? input.cc : undefined,
    subject: input.subject,
    text: input.text,
    ...(input.html ? { html: input.html } : {}),
    headers,
    ...(messageId ? { messageId } : {}),
    date: input.date ?? new Date(),
    attachments: input.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
    // nodemailer would otherwise add X-Mailer-style noise and rewrite nothing else.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return new Promise<Buffer>((resolve, reject) => composer.compile().build((err, message) => (err ? reject(err) : resolve(message))));
}
