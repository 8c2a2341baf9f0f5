// The header of a message inside a message: a forwarded or returned mail (message/rfc822) or a bounce's
// returned headers (text/rfc822-headers). Only the header block is read, after the same repairs as the
// outer message (so a legacy-charset subject reads the same), and only the four fields needed here, with
// libmime's encoded-word decoder: a full mailparser pass per attached message cost a third of the parse
// time of a bounce-heavy mailbox.
import { isUtf8 } from 'node:buffer';
import libmime from 'libmime';
import { normalizeMessageId, parseReferences } from '../domain/message-id';
import { repairMime } from './repair-mime';

export type AttachedHeader = {
  subject: string | null;
  messageId: string | null;
  /** In-Reply-To then References, oldest first, without duplicates. */
  references: string[];
};

/** A header block longer than this is cut: no real header is, and the subject comes early. */
const MAX_HEADER_BYTES = 256 * 1024;

export function readAttachedHeader(content: Buffer): AttachedHeader {
  const end = headerEnd(content);
  const block = content.subarray(0, Math.min(end, MAX_HEADER_BYTES));
  // Only 8-bit bytes that are not UTF-8 need the charset fallback; most headers are ASCII.
  const header = isUtf8(block) ? block : repairMime(Buffer.concat([block, Buffer.from('\r\n\r\n')])).raw;
  const fields = new Map<string, string>();
  const text = header.toString(isUtf8(header) ? 'utf8' : 'latin1');
  for (const field of text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    // The first occurrence, as mail programs show it.
    if (WANTED.has(name) && !fields.has(name)) fields.set(name, field.slice(colon + 1).trim());
  }
  let subject = fields.get('subject') ?? '';
  try {
    subject = libmime.decodeWords(subject);
  } catch {
    // An encoded word in an unknown charset stays as written.
  }
  subject = subject.replace(/\u0000/g, '').trim();
  const references = parseReferences([fields.get('references') ?? '', fields.get('in-reply-to') ?? ''].filter((v) => v !== ''));
  return {
    subject: subject === '' ? null : subject,
    messageId: normalizeMessageId(fields.get('message-id')),
    references,
  };
}

const WANTED = new Set(['subject', 'message-id', 'references', 'in-reply-to']);

function headerEnd(content: Buffer): number {
  const lf = content.indexOf('\n\n');
  const crlf = content.indexOf('\r\n\r\n');
  const ends = [lf, crlf].filter((i) => i !== -1);
  return ends.length === 0 ? content.length : Math.min(...ends);
}
