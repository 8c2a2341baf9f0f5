// Raw RFC 822 bytes → the plain data the ingest path works with (server/services/ingest.ts).
// mailparser does the MIME work; this file decides what counts as a message at all and makes every
// string safe to store.
//
// Decisions:
// - mailparser is lenient: it reads nearly anything. A message is refused (ParseMessageError, which
//   sends it to quarantine) only when there is nothing to make a case from: 0 bytes or only whitespace,
//   or no header line that could be read (binary garbage, a body without any header).
// - Before mailparser reads it, the message goes through server/mail/repair-mime.ts: raw 8-bit header
//   bytes in a legacy charset become UTF-8 (subjects, names, file names), and broken MIME headers that
//   would hide the body (a missing `;`, an unindented parameter line, a boundary that never occurs) are
//   mended. The stored raw bytes stay as received.
// - The sender is the first usable address of From, then Sender, then Reply-To
//   (server/domain/choose-sender.ts); `senderSource` says which. With none at all, `from` is null and the
//   intake makes a case without a contact and notes why. A From that is only a display name
//   ("Mail Delivery System" with no address) counts as no From.
// - A bounce's message/delivery-status part is kept out of the text (mailparser would append it) and read
//   into `deliveryReport` (server/mail/delivery-report.ts); the part itself stays as delivery-status.txt,
//   the returned message as an .eml attachment.
// - Every attachment has a file name (server/mail/attachment-name.ts).
// - A message whose lines end in CR alone (old Mac mailers) is read with CRLF line ends.
// - NUL characters are removed from every string: Postgres text and jsonb cannot hold \u0000, and a
//   stray NUL in a header must not send a readable mail to quarantine.
// - Message-IDs are normalized (server/domain/message-id.ts); an id longer than MAX_MESSAGE_ID_CHARS is
//   treated as absent, since no mailer writes one and a btree index entry cannot hold a huge one.
// - A missing Date header, one that does not parse, or one naming a year outside 1000–9999 gives
//   `date: null`: such a value is noise, and Postgres cannot store every date JavaScript can represent.
// - An attachment counts as inline only when it has a Content-ID and the HTML refers to it by `cid:`;
//   inline PDFs and images that nothing shows are listed as attachments, so an agent can still reach them.
// - `cid:` links are kept as they are (mailparser would otherwise turn them into data: URIs), because the
//   images are stored as attachment rows and served by Content-ID.
// - mailparser's HTML-to-text stays on, so an HTML-only mail still has text for previews; the other
//   conversions (text to HTML, linkifying) are switched off as nothing uses them. mailparser converts
//   HTML only when it is the whole message; an HTML part inside multipart/mixed or /related (HTML with
//   attachments or inline images) gets its text here with the same converter (html-to-text), so body
//   filters, previews and search read it too.
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { convert as htmlToText } from 'html-to-text';
import { type AddressObject, type Attachment, type EmailAddress, MailParser, type ParsedMail, simpleParser } from 'mailparser';
import type { MessageAddress } from '../db/schema';
import { chooseSender, isUsableAddress, type SenderSource } from '../domain/choose-sender';
import type { DeliveryReport } from '../domain/delivery-status';
import type { FilterableMessage } from '../domain/match-filters';
import { normalizeMessageId, parseReferences } from '../domain/message-id';
import { readAttachedHeader } from './attached-header';
import { attachmentName, isAttachedMessage, isDeliveryStatus } from './attachment-name';
import { readDeliveryReport } from './delivery-report';
import { repairMime } from './repair-mime';

export type { MessageAddress };

export type ParsedAttachment = {
  filename: string;
  contentType: string;
  size: number;
  /** Without angle brackets, as `cid:` URLs name it. */
  contentId: string | null;
  /** Shown inside the HTML (by `cid:`) rather than listed as a file. */
  inline: boolean;
  content: Buffer;
  /** SHA-256 of the content, hex (mailparser computes it while decoding). */
  checksum: string;
};

export type ParsedInbound = {
  messageId: string | null;
  inReplyTo: string | null;
  /** Oldest first, as written. */
  references: string[];
  /** The sender: From, or Sender / Reply-To when From has no usable address (see senderSource). */
  from: MessageAddress | null;
  senderSource: SenderSource;
  to: MessageAddress[];
  cc: MessageAddress[];
  replyTo: MessageAddress[];
  subject: string;
  date: Date | null;
  text: string | null;
  html: string | null;
  /** Header values by lower-cased name, unfolded but not decoded; a repeated header has several values. */
  headers: Record<string, string[]>;
  /** The Return-Path address; '' for the null sender `<>` of a bounce; null when there is no Return-Path. */
  returnPath: string | null;
  attachments: ParsedAttachment[];
  /** A bounce's delivery status (RFC 3464), or null when the message is not one. */
  deliveryReport: DeliveryReport | null;
};

export type ParseFailureCode = 'empty' | 'no_headers' | 'parser_failed';

/** The message cannot become a case as it is; the message says why, in words an admin understands. */
export class ParseMessageError extends Error {
  constructor(
    readonly code: ParseFailureCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ParseMessageError';
  }
}

export const MAX_MESSAGE_ID_CHARS = 500;

const PARSER_OPTIONS = {
  skipTextToHtml: true,
  skipTextLinks: true,
  keepCidLinks: true,
  skipImageLinks: true,
  checksumAlgo: 'sha256',
  // A bounce's delivery status becomes an attachment (read into deliveryReport), not part of the text.
  keepDeliveryStatus: true,
} as const;

/** HTML longer than this gets the rough, linear htmlAsPlainText instead of html-to-text's full parse. */
const MAX_HTML_TO_TEXT_CHARS = 2_000_000;

export type ParseInboundOptions = {
  /**
   * false: attachments are listed (name, type, size, checksum) without their decoded bytes, which are never
   * held in memory (attached messages and delivery reports excepted: their headers are read). The intake
   * stores attachments as parts of the raw message (server/services/attachments.ts).
   */
  attachmentBytes?: boolean;
};

export async function parseInbound(raw: Buffer, options: ParseInboundOptions = {}): Promise<ParsedInbound> {
  if (raw.length === 0) throw new ParseMessageError('empty', 'The message is empty (0 bytes).');
  if (isBlank(raw)) throw new ParseMessageError('empty', `The message holds only whitespace (${raw.length} bytes).`);

  let mail: ParsedMail;
  try {
    const input = inSlices(repairMime(withLineFeeds(raw)).raw);
    mail = options.attachmentBytes === false ? await readWithoutAttachmentBytes(input) : await simpleParser(input, PARSER_OPTIONS);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ParseMessageError('parser_failed', `The MIME structure could not be read: ${clean(reason)}`, { cause: err });
  }

  const headers = collectHeaders(mail);
  if (Object.keys(headers).length === 0) {
    throw new ParseMessageError('no_headers', 'The message has no header that could be read (no "Name: value" line before the body).');
  }

  const html = typeof mail.html === 'string' ? clean(mail.html) : null;
  const references = mail.references === undefined ? [] : [mail.references].flat().map(clean);
  const { sender, source } = chooseSender({
    from: await allFromAddresses(mail),
    sender: addresses(mail.headers.get('sender') as AddressObject | undefined),
    replyTo: addresses(mail.replyTo),
  });
  const attachments = namedAttachments(mail, html);
  return {
    messageId: messageIdOrNull(mail.messageId),
    inReplyTo: messageIdOrNull(mail.inReplyTo),
    references: parseReferences(references).filter((id) => id.length <= MAX_MESSAGE_ID_CHARS),
    from: sender,
    senderSource: source,
    to: addresses(mail.to).filter((a) => a.address !== ''),
    cc: addresses(mail.cc).filter((a) => a.address !== ''),
    replyTo: addresses(mail.replyTo).filter((a) => a.address !== ''),
    subject: clean(mail.subject ?? ''),
    date: dateOf(headers),
    text: typeof mail.text === 'string' && mail.text.trim() !== '' ? clean(mail.text) : textOfHtml(html, mail.text),
    html,
    headers,
    returnPath: returnPathOf(headers),
    attachments: attachments.map(({ attachedHeader: _header, ...a }) => a),
    deliveryReport: readDeliveryReport(attachments, headers),
  };
}

/** mailparser's attachments with a file name each, and the header of each attached message. */
function namedAttachments(mail: ParsedMail, html: string | null) {
  return mail.attachments.map((a, i) => {
    const contentId = a.cid ? clean(a.cid) : a.contentId ? normalizeMessageId(clean(a.contentId)) : null;
    const contentType = clean(a.contentType || 'application/octet-stream').toLowerCase();
    const attachedHeader = isAttachedMessage(contentType) ? readAttachedHeader(a.content) : null;
    return {
      filename: clean(attachmentName({ filename: a.filename ?? '', contentType, position: i + 1, subject: attachedHeader?.subject })),
      contentType,
      size: a.size ?? a.content.length,
      contentId,
      inline: contentId !== null && html !== null && html.includes(`cid:${contentId}`),
      content: a.content,
      checksum: a.checksum,
      attachedHeader,
    };
  });
}

/**
 * Every address of every From header. mailparser keeps the first From only; a later one is read (with
 * mailparser, so names decode the same way) only when the first has no usable address.
 */
async function allFromAddresses(mail: ParsedMail): Promise<MessageAddress[]> {
  const first = addresses(mail.from);
  const lines = (mail.headerLines ?? []).filter((h) => h.key === 'from');
  if (lines.length <= 1 || first.some((a) => isUsableAddress(a.address))) return first;
  const later = await Promise.all(
    lines.slice(1).map(async ({ line }) => addresses((await simpleParser(Buffer.from(`${line}\r\n\r\n`, 'latin1'))).from)),
  );
  return [...first, ...later.flat()];
}

function textOfHtml(html: string | null, mailparserText: string | undefined): string | null {
  if (html === null) return typeof mailparserText === 'string' ? clean(mailparserText) : null;
  if (html.length > MAX_HTML_TO_TEXT_CHARS) return htmlAsPlainText(html);
  try {
    // Images are left out: a text body saying "[cid:image001.png@01D…]" helps neither a filter nor a preview.
    return clean(htmlToText(html, { limits: { maxDepth: 100 }, selectors: [{ selector: 'img', format: 'skip' }] }));
  } catch {
    return htmlAsPlainText(html);
  }
}

export type ParseOutcome = { ok: true; value: ParsedInbound } | { ok: false; error: string };

/** parseInbound, with a failure as a value: the ingest path quarantines it rather than stopping. */
export async function tryParseInbound(raw: Buffer): Promise<ParseOutcome> {
  try {
    return { ok: true, value: await parseInbound(raw) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** tryParseInbound for the intake: attachments without their decoded bytes (ParseInboundOptions). */
export async function tryParseForIntake(raw: Buffer): Promise<ParseOutcome> {
  try {
    return { ok: true, value: await parseInbound(raw, { attachmentBytes: false }) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const NO_BYTES = Buffer.alloc(0);

/**
 * mailparser's simpleParser (PARSER_OPTIONS, so cid: links are kept as they are), except that an attachment's
 * decoded bytes are counted and hashed by mailparser as they stream past and then dropped, instead of being
 * gathered and joined: a 25 MB attachment no longer takes twice its size in memory while its mail is read.
 * Attached messages and delivery reports keep their bytes (their headers are read).
 */
function readWithoutAttachmentBytes(input: Buffer | Readable): Promise<ParsedMail> {
  return new Promise<ParsedMail>((resolve, reject) => {
    let settled = false;
    const settle = (err: unknown, mail?: ParsedMail) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(mail!);
    };
    const mail = { attachments: [] as Attachment[] } as unknown as ParsedMail & Record<string, unknown>;
    const parser = new MailParser(PARSER_OPTIONS);
    parser.on('error', (err: unknown) => settle(err));
    parser.on('headers', (headers) => {
      mail.headers = headers;
      mail.headerLines = (parser as unknown as { headerLines: ParsedMail['headerLines'] }).headerLines;
    });
    let reading = false;
    const reader = () => {
      reading = true;
      const data = parser.read() as { type: 'text' | 'attachment' } | null;
      if (data === null) {
        reading = false;
        return;
      }
      if (data.type === 'text') {
        const text = data as unknown as Record<string, unknown>;
        for (const key of ['text', 'html', 'textAsHtml', 'textConversionError']) if (key in text) mail[key] = text[key];
        reader();
        return;
      }
      const attachment = data as unknown as Attachment;
      mail.attachments.push(attachment);
      const type = (attachment.contentType || '').toLowerCase();
      const keep = isAttachedMessage(type) || isDeliveryStatus(type);
      const stream = attachment.content as unknown as Readable;
      const chunks: Buffer[] = [];
      stream.on('readable', () => {
        for (let chunk: Buffer | null; (chunk = stream.read() as Buffer | null) !== null; ) if (keep) chunks.push(chunk);
      });
      stream.on('end', () => {
        (attachment as { content: Buffer }).content = keep ? Buffer.concat(chunks) : NO_BYTES;
        (attachment.release as (() => void) | null)?.();
        reader();
      });
    };
    parser.on('readable', () => {
      if (!reading) reader();
    });
    parser.on('end', () => {
      for (const key of ['subject', 'references', 'date', 'to', 'from', 'cc', 'bcc', 'message-id', 'in-reply-to', 'reply-to']) {
        if (mail.headers?.has(key)) mail[key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())] = mail.headers.get(key);
      }
      settle(null, mail);
    });
    if (Buffer.isBuffer(input)) parser.end(input);
    else input.once('error', (err) => settle(err)).pipe(parser);
  });
}

/** What filters look at (server/domain/match-filters.ts): recipients by address, the body as text. */
export function toFilterableMessage(p: ParsedInbound): FilterableMessage {
  return {
    fromAddress: p.from?.address ?? '',
    fromName: p.from?.name ?? '',
    to: p.to.map((a) => a.address),
    cc: p.cc.map((a) => a.address),
    subject: p.subject,
    body: p.text ?? (p.html === null ? '' : htmlAsPlainText(p.html)),
    headers: p.headers,
  };
}

/**
 * The words of an HTML body, for filters only. mailparser converts HTML to text only when the HTML is the
 * whole message, so an HTML part inside multipart/related (the usual shape of a mail with inline images)
 * arrives with no text; a filter on the body must still see its words. Entities other than the common
 * few stay as written, which is good enough for "contains".
 */
export function htmlAsPlainText(html: string): string {
  return withoutInvisibleBlocks(html)
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&amp;/gi, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

// A loop with indexOf rather than one regular expression: a lazy `<style>[\s\S]*?</style>` rescans the
// rest of the text for every unclosed opening tag, which a crafted mail can make quadratic.
function withoutInvisibleBlocks(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let cursor = 0;
  for (;;) {
    const open = /<(script|style|head)\b/g;
    open.lastIndex = cursor;
    const match = open.exec(lower);
    if (match === null) return out + html.slice(cursor);
    out += `${html.slice(cursor, match.index)} `;
    const close = lower.indexOf(`</${match[1]}`, match.index);
    if (close === -1) return out;
    const end = lower.indexOf('>', close);
    if (end === -1) return out;
    cursor = end + 1;
  }
}

/**
 * Old Mac mailers end lines with CR alone; mailparser then sees one endless header line. A message with
 * no LF at all cannot be meant any other way, so its CRs become CRLF. Mixed line ends are left alone:
 * a lone CR inside an otherwise CRLF message is data.
 */
function withLineFeeds(raw: Buffer): Buffer {
  if (raw.includes(0x0a) || !raw.includes(0x0d)) return raw;
  const out = Buffer.alloc(raw.length * 2);
  let length = 0;
  for (const byte of raw) {
    out[length++] = byte;
    if (byte === 0x0d) out[length++] = 0x0a;
  }
  return out.subarray(0, length);
}

/**
 * mailparser reads a Buffer it is given in one synchronous pass. For a 34 MB message (a 25 MB attachment)
 * that blocked the worker's event loop, so every other mailbox of the worker, for ~0.85 s, and took ~4.5×
 * the message in memory (bench/scenarios/big-message.ts). Given the same bytes as a stream of slices
 * (views, not copies) it yields between them: ~0.1 s at most, ~2× the message. Mail that fits in one
 * slice, nearly all of it, is handed over as it is.
 */
export const PARSE_SLICE_BYTES = 64 * 1024;

function inSlices(raw: Buffer): Buffer | Readable {
  if (raw.length <= PARSE_SLICE_BYTES) return raw;
  return Readable.from(
    (function* () {
      for (let start = 0; start < raw.length; start += PARSE_SLICE_BYTES) yield raw.subarray(start, start + PARSE_SLICE_BYTES);
    })(),
    { objectMode: false },
  );
}

function isBlank(raw: Buffer): boolean {
  for (const byte of raw) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x00) return false;
  }
  return true;
}

function clean(s: string): string {
  return s.includes('\u0000') ? s.replace(/\u0000/g, '') : s;
}

function collectHeaders(mail: ParsedMail): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  // mailparser files lines it could not read as a header (body text before a missing blank line) under ''.
  for (const { key, line } of mail.headerLines ?? []) {
    const name = clean(key).trim().toLowerCase();
    if (name === '') continue;
    // mailparser gives the raw bytes as Latin-1; after repairMime they are UTF-8 (or ASCII), so filters on a
    // named header compare text, not mojibake.
    const bytes = Buffer.from(line, 'latin1');
    const text = isUtf8(bytes) ? bytes.toString('utf8') : line;
    const colon = text.indexOf(':');
    const value = clean(colon === -1 ? '' : text.slice(colon + 1))
      .replace(/\r?\n[ \t]+/g, ' ')
      .replace(/[\r\n]/g, ' ')
      .trim();
    (headers[name] ??= []).push(value);
  }
  return headers;
}

function addresses(field: AddressObject | AddressObject[] | undefined): MessageAddress[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const flat: MessageAddress[] = [];
  const visit = (entry: EmailAddress) => {
    if (entry.group) {
      entry.group.forEach(visit);
      return;
    }
    flat.push({ address: clean(entry.address ?? '').trim(), name: clean(entry.name ?? '').trim() });
  };
  for (const object of objects) object.value.forEach(visit);
  return flat;
}

function messageIdOrNull(raw: string | undefined): string | null {
  const id = normalizeMessageId(raw === undefined ? undefined : clean(raw));
  return id !== null && id.length <= MAX_MESSAGE_ID_CHARS ? id : null;
}

// Read from the header rather than mailparser's `date`, which turns a Date it cannot parse into the
// time of parsing: a mail would then claim to be sent when we read it.
function dateOf(headers: Record<string, string[]>): Date | null {
  const value = headers['date']?.[0];
  if (value === undefined) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year >= 1000 && year <= 9999 ? date : null;
}

function returnPathOf(headers: Record<string, string[]>): string | null {
  const value = headers['return-path']?.[0];
  if (value === undefined) return null;
  const bracketed = /<([^<>]*)>/.exec(value);
  return (bracketed ? bracketed[1] : value).trim();
}
