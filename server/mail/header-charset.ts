// Raw 8-bit header bytes (no RFC 2047 encoding) in a legacy charset → text. RFC 5322 headers are ASCII, but
// many mailers write a subject, a display name or a file name in the sender's local charset as it is.
// mailparser reads such bytes as UTF-8 (U+FFFD for every byte that is not) or as Latin-1 (mojibake), so
// server/mail/repair-mime.ts re-decodes them here, before mailparser sees them, and hands it UTF-8.
//
// The order of candidates (charsetCandidates):
//   1. a multi-byte charset the message declares (Content-Type charset= of the part, then of the message,
//      then of any other part): such a charset rejects bytes that are not in it, so a clean decode means
//      something;
//   2. a multi-byte charset the detector (jschardet) names for the message's undecodable header bytes;
//   3. a single-byte charset the message declares: any bytes decode in it, so it comes after a detector
//      that recognised CJK (a GBK file name in a mail that declares ISO-8859-1 for its body is common);
//   4. the detector's other candidates;
//   5. windows-1252, then Latin-1, which decodes anything.
// A decode is clean when it yields no U+FFFD and no control character other than tab and line ends; the
// first candidate that decodes a header cleanly is used for that header.
import iconv from 'iconv-lite';
import jschardet from 'jschardet';

/** Charset names as mailers write them → the name iconv-lite knows, for the cases where the two differ. */
const ALIASES: Record<string, string> = {
  // GB2312 mail routinely holds GBK characters; GB18030 is a superset of both.
  gb2312: 'gb18030',
  gbk: 'gb18030',
  'x-gbk': 'gb18030',
  euccn: 'gb18030',
  'euc-cn': 'gb18030',
  'ks_c_5601-1987': 'cp949',
  'ks_c_5601': 'cp949',
  'x-sjis': 'shift_jis',
  sjis: 'shift_jis',
  'windows-31j': 'cp932',
  'big5-hkscs': 'big5hkscs',
  'iso-8859-8-i': 'iso-8859-8',
};

const MULTI_BYTE = new Set(['gb18030', 'big5', 'big5hkscs', 'shift_jis', 'cp932', 'euc-jp', 'eucjp', 'euc-kr', 'euckr', 'cp949', 'cp950', 'cp936', 'euc-tw']);

/** Charsets that cannot be what raw 8-bit header bytes are in (or that they were already tried as). */
const NEVER = /^(utf-?8|us-?ascii|ascii|utf-?(16|32)(le|be)?|iso-2022-.*|hz-gb-2312|utf-7)$/;

/** The iconv-lite name of a charset label, or null when iconv-lite does not know it. */
export function normalizeCharset(label: string): string | null {
  const lower = label.trim().replace(/^["']|["']$/g, '').toLowerCase();
  if (lower === '' || NEVER.test(lower)) return null;
  const name = ALIASES[lower] ?? lower;
  return iconv.encodingExists(name) ? name : null;
}

function isMultiByte(name: string): boolean {
  return MULTI_BYTE.has(name);
}

// Controls other than tab, LF and CR, C1 controls, and the replacement character: the marks of bytes
// read in the wrong charset.
const UNCLEAN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/;

/** The bytes decoded in `charset`, or null when that leaves a replacement or control character. */
export function decodeCleanly(bytes: Uint8Array, charset: string): string | null {
  const text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), charset);
  return UNCLEAN.test(text) ? null : text;
}

export type CharsetCandidatesOptions = {
  /** charset= parameters of the message, the part's own first. */
  declared: string[];
  /** The header bytes that are not UTF-8, for the detector. */
  sample: Uint8Array;
};

/** The charsets to try, in order, for a message's raw 8-bit header bytes (see the top of this file). */
export function charsetCandidates({ declared, sample }: CharsetCandidatesOptions): string[] {
  const declaredNames = unique(declared.map(normalizeCharset));
  const detected = sample.length === 0 ? [] : unique(detectAll(sample).map(normalizeCharset));
  const ordered = [
    ...declaredNames.filter(isMultiByte),
    ...detected.slice(0, 1).filter(isMultiByte),
    ...declaredNames.filter((n) => !isMultiByte(n)),
    ...detected,
    'windows-1252',
    'latin1',
  ];
  return unique(ordered);
}

function detectAll(sample: Uint8Array): string[] {
  try {
    return jschardet.detectAll(sample).flatMap((d) => (d.encoding ? [d.encoding] : []));
  } catch {
    // A detector failure must not cost the message: the fixed fallbacks follow.
    return [];
  }
}

/** The first candidate that decodes the bytes cleanly; Latin-1 (which decodes anything) when none does. */
export function decodeHeaderBytes(bytes: Uint8Array, candidates: string[]): { text: string; charset: string } {
  for (const charset of candidates) {
    const text = decodeCleanly(bytes, charset);
    if (text !== null) return { text, charset };
  }
  return { text: iconv.decode(Buffer.from(bytes), 'latin1'), charset: 'latin1' };
}

function unique(names: Array<string | null>): string[] {
  return [...new Set(names.filter((n): n is string => n !== null))];
}
