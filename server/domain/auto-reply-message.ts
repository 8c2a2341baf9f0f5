// The auto-reply that tells a sender their mail became a case (seed: "Auto reply to sender").
// The outbox stores this plain object; the sender (Resend or SMTP) turns it into a mail.
//
// Decisions:
// - Subject: "[LC0001234] Re: <original>" (no second "Re:" when the original already starts with one), so
//   mail clients thread it with the original and the sender's answer carries the tag back. The original part is
//   cut to MAX_ORIGINAL_SUBJECT_CHARS; a mail without a subject gets "[LC0001234] We received your message".
// - Message-ID is derived from the case number and the original Message-ID, so a retry after a crash builds
//   the very same mail and the receiving side (and our own reference lookup) sees one message, not two.
// - References keep the last MAX_REFERENCES ids (RFC 5322 allows trimming the middle of a thread), ending with
//   the original message, so the header stays small however long the thread.
// - Every user-controlled value is put on one line for headers and HTML-escaped for the HTML body.
// - The sender's display name is whatever the sender (or a forger) typed, and it is echoed from our support
//   address: greeting and To show at most MAX_DISPLAY_NAME_CHARS of it, without control or invisible
//   formatting characters (bidi overrides), and none at all when it carries an address or a link, which is
//   how backscatter spam smuggles its message into an auto-reply.
import { createHash } from 'node:crypto';
import { formatCaseNumber } from './case-number';
import { tagSubject } from './case-tag';
import { normalizeMessageId, parseReferences } from './message-id';

export const MAX_REFERENCES = 20;
export const MAX_ORIGINAL_SUBJECT_CHARS = 200;
export const MAX_DISPLAY_NAME_CHARS = 64;

/** What the new case and its first message tell us about the reply to send. */
export type AutoReplyInput = {
  caseNumber: number;
  processorAddress: string;
  processorName: string;
  toAddress: string;
  toName: string | null;
  originalSubject: string;
  originalMessageId: string | null;
  originalReferences: string[];
  /** Domain for the generated Message-ID; the processor address's domain when absent. */
  messageIdDomain?: string;
};

/** An address with an optional display name. */
export type MailAddress = { address: string; name: string | null };

/** A mail ready to hand to a transport; headers are extra headers beyond from/to/subject. */
export type OutboundMail = {
  from: MailAddress;
  to: MailAddress;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
};

export function buildAutoReply(input: AutoReplyInput): OutboundMail {
  const caseRef = formatCaseNumber(input.caseNumber);
  const processorName = oneLine(input.processorName);
  const toName = input.toName === null ? null : shortDisplayName(input.toName);
  const subject = replySubject(input.originalSubject, input.caseNumber);

  const originalId = usableId(normalizeMessageId(input.originalMessageId));
  const thread = parseReferences(input.originalReferences).filter((id) => usableId(id) !== null && id !== originalId);
  if (originalId !== null) thread.push(originalId);
  const references = thread.slice(-MAX_REFERENCES);

  const headers: Record<string, string> = {
    'Message-ID': `<${autoReplyMessageId(input, caseRef)}>`,
    'Auto-Submitted': 'auto-replied',
    'X-Auto-Response-Suppress': 'All',
  };
  if (originalId !== null) headers['In-Reply-To'] = `<${originalId}>`;
  if (references.length > 0) headers['References'] = references.map((id) => `<${id}>`).join(' ');

  const original = shortSubject(input.originalSubject);
  const greeting = toName === null ? 'Hello,' : `Hello ${toName},`;
  const team = processorName || input.processorAddress;
  const received = original === '' ? 'your message' : `your message "${original}"`;
  const lines = [
    greeting,
    `Thank you for contacting ${team}. We have received ${received} and opened case ${caseRef}.`,
    'We will get back to you as soon as we can.',
    `To add anything to this case, reply to this email and keep [${caseRef}] in the subject.`,
    team,
  ];

  return {
    from: { address: input.processorAddress.trim(), name: processorName || null },
    to: { address: input.toAddress.trim(), name: toName },
    subject,
    text: `${lines.join('\n\n')}\n`,
    html: `<!doctype html>\n<html><body>\n${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}\n</body></html>\n`,
    headers,
  };
}

/** The part of a sender's display name an auto-reply may repeat; null when none of it should be. */
export function shortDisplayName(name: string): string | null {
  const visible = oneLine(name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' '));
  if (visible === '' || /@|:\/\/|\bwww\./i.test(visible)) return null;
  const chars = Array.from(visible);
  return chars.length > MAX_DISPLAY_NAME_CHARS ? `${chars.slice(0, MAX_DISPLAY_NAME_CHARS - 1).join('').trimEnd()}…` : visible;
}

function replySubject(originalSubject: string, caseNumber: number): string {
  const original = shortSubject(originalSubject);
  if (original === '') return tagSubject('We received your message', caseNumber);
  return tagSubject(/^re\s*:/i.test(original) ? original : `Re: ${original}`, caseNumber);
}

function shortSubject(subject: string): string {
  const line = oneLine(subject);
  return line.length > MAX_ORIGINAL_SUBJECT_CHARS ? `${line.slice(0, MAX_ORIGINAL_SUBJECT_CHARS).trimEnd()}…` : line;
}

function autoReplyMessageId(input: AutoReplyInput, caseRef: string): string {
  const digest = createHash('sha256')
    .update(`${input.caseNumber}\n${normalizeMessageId(input.originalMessageId) ?? ''}`)
    .digest('hex')
    .slice(0, 24);
  const domain = (input.messageIdDomain ?? input.processorAddress.split('@').pop() ?? '').trim().toLowerCase();
  return `auto-reply.${caseRef.toLowerCase()}.${digest}@${/^[a-z0-9.-]+$/.test(domain) ? domain : 'leopard.invalid'}`;
}

/** Ids that could break out of `<…>` or the header line are left out rather than repaired. */
function usableId(id: string | null): string | null {
  return id !== null && /^[\x21-\x3b\x3d\x3f-\x7e]+$/.test(id) ? id : null;
}

/** Control characters (CR/LF above all) would let a value start a new header; runs of space become one. */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
