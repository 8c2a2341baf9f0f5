// Turns the From display name into the first and last name of a contact (seed: "match by First Name and
// Last Name as provided in the From field"), falling back to the local part of the address.
//
// Decisions:
// - "Jane Q. Doe" → Jane / Doe: the first word is the first name, the last word the last name, and middle
//   names or initials are dropped, because a contact has no middle-name field and "Jane Doe" and "Jane Q. Doe"
//   should name the same person. "Mary Ann Smith" therefore becomes Mary / Smith; an agent can fix the contact.
// - Lower-case particles before the last word stay with it ("Ludwig van Beethoven" → Ludwig / van Beethoven).
// - "Doe, Jane" (exactly one comma) is last-name-first.
// - Titles in front (Dr., Mrs.) and suffixes at the end (Jr., PhD) are dropped; so are comments in parentheses
//   ("Jane Doe (Acme)").
// - A display name that is an address carries no name, so the address's local part is used instead.

/** First and last name for a contact; `fromDisplayName` is false when they were derived from the address. */
export type PersonName = {
  firstName: string;
  lastName: string;
  fromDisplayName: boolean;
};

const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof']);
const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'phd', 'md', 'esq']);
const LAST_NAME_PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'du', 'la', 'le', 'ter', 'ten', 'bin', 'al', 'dos', 'das']);

export function parseDisplayName(displayName: string | undefined | null, address: string): PersonName {
  const cleaned = cleanDisplayName(displayName ?? '');
  const name = looksLikeAddress(cleaned) ? null : splitName(cleaned);
  return name === null ? nameFromAddress(address) : { ...name, fromDisplayName: true };
}

/**
 * Decodes RFC 2047 encoded-words (`=?UTF-8?B?…?=`, `=?ISO-8859-1?Q?…?=`) that reached us undecoded.
 * Adjacent words of one charset are decoded together, because mailers split multi-byte characters
 * across words. A word in a charset this runtime cannot decode is kept as it was written.
 */
export function decodeEncodedWords(text: string): string {
  const pattern = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
  type Run = { charset: string; bytes: Buffer[]; start: number; end: number };
  const decodeRun = (run: Run) => decodeBytes(run.charset, Buffer.concat(run.bytes)) ?? text.slice(run.start, run.end);
  let out = '';
  let cursor = 0;
  let run: Run | null = null;

  for (const match of text.matchAll(pattern)) {
    const start = match.index;
    const end = start + match[0].length;
    const gap = text.slice(cursor, start);
    // RFC 2047 §6.2: whitespace between two encoded-words is not part of the text.
    const adjacent = run !== null && gap.trim() === '';
    const charset = match[1].split('*')[0].toLowerCase(); // RFC 2231 adds "*language"
    const bytes = match[2].toLowerCase() === 'b' ? Buffer.from(match[3], 'base64') : decodeQ(match[3]);
    if (run !== null && adjacent && run.charset === charset) {
      run.bytes.push(bytes);
      run.end = end;
    } else {
      if (run !== null) out += decodeRun(run);
      if (!adjacent) out += gap;
      run = { charset, bytes: [bytes], start, end };
    }
    cursor = end;
  }
  if (run !== null) out += decodeRun(run);
  return out + text.slice(cursor);
}

function decodeQ(encoded: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i];
    const hex = encoded.slice(i + 1, i + 3);
    if (ch === '=' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(ch === '_' ? 0x20 : ch.charCodeAt(0) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeBytes(charset: string, bytes: Buffer): string | null {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return null;
  }
}

function cleanDisplayName(raw: string): string {
  let s = decodeEncodedWords(raw)
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    // A name that arrived as "Jane Doe <jane@x>" because the header was not split.
    .replace(/<[^<>]*@[^<>]*>\s*$/, '')
    .trim();
  for (let quoted = unquote(s); quoted !== null; quoted = unquote(s)) s = quoted.trim();
  return s
    .replace(/\([^()]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function unquote(s: string): string | null {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) {
    return s.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return null;
}

function looksLikeAddress(s: string): boolean {
  return /^<?[^\s@<>]+@[^\s@<>]+>?$/.test(s);
}

/** Null when nothing name-like is left (a display name of only punctuation). */
function splitName(name: string): { firstName: string; lastName: string } | null {
  const commaParts = name.split(',').map((part) => part.trim());
  if (commaParts.length === 2 && commaParts[0] !== '' && commaParts[1] !== '' && !isSuffix(commaParts[1])) {
    const given = withoutTitlesAndSuffixes(commaParts[1].split(' '));
    const family = withoutTitlesAndSuffixes(commaParts[0].split(' '));
    return { firstName: given[0], lastName: family.join(' ') };
  }

  const words = withoutTitlesAndSuffixes(name.replace(/,/g, ' ').split(' '));
  if (words.length === 0) return null;
  if (words.length === 1) return { firstName: words[0], lastName: '' };
  let lastStart = words.length - 1;
  while (lastStart > 1 && LAST_NAME_PARTICLES.has(words[lastStart - 1])) lastStart--;
  return { firstName: words[0], lastName: words.slice(lastStart).join(' ') };
}

function withoutTitlesAndSuffixes(words: string[]): string[] {
  const kept = words.filter((w) => w !== '');
  while (kept.length > 1 && TITLES.has(bareWord(kept[0]))) kept.shift();
  while (kept.length > 1 && isSuffix(kept[kept.length - 1])) kept.pop();
  return kept;
}

function isSuffix(word: string): boolean {
  return SUFFIXES.has(bareWord(word));
}

function bareWord(word: string): string {
  return word.toLowerCase().replace(/[.,]/g, '');
}

/** "jane.doe+support@x" → Jane / Doe; "jdoe@x" → jdoe / "" (one word is not a name, so it is kept as written). */
function nameFromAddress(address: string): PersonName {
  const trimmed = address.trim().replace(/^<|>$/g, '');
  const at = trimmed.lastIndexOf('@');
  const local = (at >= 0 ? trimmed.slice(0, at) : trimmed).replace(/^"|"$/g, '');
  const withoutTag = local.replace(/^\++/, '').split('+')[0];
  const parts = withoutTag.split(/[._\-\s]+/).filter((p) => p !== '');
  if (parts.length === 0) return { firstName: '', lastName: '', fromDisplayName: false };
  if (parts.length === 1) return { firstName: parts[0], lastName: '', fromDisplayName: false };
  return { firstName: capitalize(parts[0]), lastName: capitalize(parts[parts.length - 1]), fromDisplayName: false };
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
