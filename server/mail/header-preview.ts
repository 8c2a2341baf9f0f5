// Subject and From of a raw message that may not parse at all, for the admin's quarantine list.
// Works on the first bytes only and never throws: whatever cannot be read is null.
import { decodeEncodedWords } from '../domain/parse-display-name';
import { repairMime } from './repair-mime';

export type HeaderPreview = { subject: string | null; from: string | null };

const MAX_PREVIEW_CHARS = 300;

export function readHeaderPreview(head: Buffer | null | undefined): HeaderPreview {
  if (!head || head.length === 0) return { subject: null, from: null };
  // Raw 8-bit headers in a legacy charset are decoded as the parser decodes them (server/mail/repair-mime.ts);
  // whatever is still not UTF-8 shows replacement characters rather than nothing.
  const text = new TextDecoder('utf-8').decode(readable(head));
  const headerBlock = text.split(/\r\n\r\n|\n\n|\r\r/, 1)[0];
  const lines = headerBlock
    .replace(/\r\n?/g, '\n')
    .replace(/\n[ \t]+/g, ' ')
    .split('\n');
  return { subject: headerValue(lines, 'subject'), from: headerValue(lines, 'from') };
}

function headerValue(lines: string[], name: string): string | null {
  const prefix = `${name}:`;
  const line = lines.find((l) => l.toLowerCase().startsWith(prefix));
  if (line === undefined) return null;
  const value = decodeEncodedWords(line.slice(prefix.length))
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (value === '') return null;
  return value.length > MAX_PREVIEW_CHARS ? `${value.slice(0, MAX_PREVIEW_CHARS)}…` : value;
}

function readable(head: Buffer): Buffer {
  try {
    return repairMime(head).raw;
  } catch {
    return head;
  }
}
