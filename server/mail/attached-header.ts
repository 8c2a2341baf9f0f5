// The header of a message inside a message: a forwarded or returned mail (message/rfc822) or a bounce's
// returned headers (text/rfc822-headers). Read with mailparser itself (after the same repairs as the outer
// message), and only the header block, so a large returned message costs no more than its header.
import { simpleParser } from 'mailparser';
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

export async function readAttachedHeader(content: Buffer): Promise<AttachedHeader> {
  const end = headerEnd(content);
  const header = Buffer.concat([content.subarray(0, Math.min(end, MAX_HEADER_BYTES)), Buffer.from('\r\n\r\n')]);
  try {
    const mail = await simpleParser(repairMime(header).raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    const subject = (mail.subject ?? '').replace(/\u0000/g, '').trim();
    const references = [mail.references ?? []].flat();
    const inReplyTo = mail.inReplyTo === undefined ? [] : [mail.inReplyTo];
    return {
      subject: subject === '' ? null : subject,
      messageId: normalizeMessageId(mail.messageId),
      references: [...new Set(parseReferences([...references, ...inReplyTo]))],
    };
  } catch {
    // An unreadable returned header must not cost the message it came in.
    return { subject: null, messageId: null, references: [] };
  }
}

function headerEnd(content: Buffer): number {
  const lf = content.indexOf('\n\n');
  const crlf = content.indexOf('\r\n\r\n');
  const ends = [lf, crlf].filter((i) => i !== -1);
  return ends.length === 0 ? content.length : Math.min(...ends);
}
