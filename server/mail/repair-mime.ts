// Raw message bytes → the same message with its headers made readable, before mailparser sees it
// (server/mail/parse-message.ts). The stored raw bytes are never changed; only the parser's input is.
// Walks the MIME structure itself (header blocks, multipart boundaries, attached messages), because
// mailparser keeps none of a part's raw header bytes and decides the structure from headers it misreads.
//
// What it repairs, each seen in real mail:
// - raw 8-bit header bytes that are not UTF-8 (a GB2312 subject, a Latin-1 display name, a GBK file name)
//   are decoded with the message's declared charsets and a detector (server/mail/header-charset.ts) and
//   written back as UTF-8, which mailparser reads as it is;
// - a parameter line that continues Content-Type or Content-Disposition without the leading space
//   (`Content-Type: multipart/mixed;` then `boundary="x"` on a line of its own) is indented, so it is not a
//   broken header of its own and the boundary is not lost;
// - a Content-Type or Content-Disposition missing its `;` before a parameter (`text/plain charset=…`) gets it;
// - a multipart whose boundary never occurs in its body takes the boundary its delimiter lines do use, when
//   one is used at least twice; otherwise it is read as text/plain, so its text shows instead of nothing.
// A message attached to the message (message/rfc822, not base64-encoded) is walked and repaired the same
// way, since mailparser shows an inline forward's text too; its .eml attachment is then the repaired copy,
// which opens readable in a mail program (the original bytes stay in raw_messages).
import { isUtf8 } from 'node:buffer';
import libmime from 'libmime';
import { charsetCandidates, decodeHeaderBytes } from './header-charset';

export type MimeRepair = 'header-charset' | 'unindented-parameter' | 'missing-semicolon' | 'boundary-not-found' | 'boundary-replaced';

export type RepairedMime = { raw: Buffer; repairs: MimeRepair[] };

/** Nesting beyond this is copied as it is: no real mail nests deeper, and a crafted one must not recurse forever. */
const MAX_DEPTH = 32;

const LF = 0x0a;
const SPACE = Buffer.from(' ');
const CR = 0x0d;

type Line = { start: number; end: number; next: number; indent: boolean };
type Field = { name: string; lines: Line[]; missingSemicolon?: boolean };
type Block = {
  fields: Field[];
  charset: string | null;
  /** A Content-Type value that replaces the written one (its boundary never occurs in the body). */
  contentType: string | null;
};

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;
const PARAMETER_LINE = /^[ \t]*;?[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+\*?(\d+\*?)?[ \t]*=/;
const STRUCTURED = new Set(['content-type', 'content-disposition']);

export function repairMime(raw: Buffer): RepairedMime {
  const walker = new Walker(raw);
  walker.walk(0, raw.length, 0);
  return walker.result();
}

class Walker {
  private readonly blocks: Block[] = [];
  private readonly repairs = new Set<MimeRepair>();

  constructor(private readonly raw: Buffer) {}

  walk(start: number, limit: number, depth: number): void {
    const { block, bodyStart } = this.readHeader(start, limit);
    this.blocks.push(block);
    if (depth >= MAX_DEPTH) return;
    const typeField = block.fields.find((f) => f.name === 'content-type');
    const written = typeField === undefined ? '' : this.unfolded(typeField);
    const parsed = libmime.parseHeaderValue(withSemicolon(written) ?? written);
    const type = (parsed.value || '').toLowerCase().trim();
    const params = parsed.params as Record<string, string>;
    block.charset = params.charset ?? null;

    if (type.startsWith('multipart/')) {
      this.walkMultipart(block, type, params, bodyStart, limit, depth);
    } else if (type === 'message/rfc822' || type === 'message/global') {
      const encoding = this.fieldValue(block, 'content-transfer-encoding').toLowerCase().trim();
      if (encoding !== 'base64' && encoding !== 'quoted-printable' && bodyStart < limit) this.walk(bodyStart, limit, depth + 1);
    }
  }

  private walkMultipart(block: Block, type: string, params: Record<string, string>, bodyStart: number, limit: number, depth: number) {
    const declared = (params.boundary ?? '').trimEnd();
    let delimiters = declared === '' ? [] : this.delimiters(declared, bodyStart, limit);
    // Only a closing delimiter is as good as none: every part would be preamble, which nobody shows.
    if (!delimiters.some((d) => !d.closing)) {
      const used = this.usedBoundary(bodyStart, limit);
      const rest = Object.entries(params).filter(([k]) => k !== 'boundary' && k !== 'charset');
      if (used !== null) {
        delimiters = this.delimiters(used, bodyStart, limit);
        block.contentType = `${type}; boundary="${used}"${rest.map(([k, v]) => `; ${k}="${v.replace(/["\\]/g, '\\$&')}"`).join('')}`;
        this.repairs.add('boundary-replaced');
      } else {
        block.contentType = `text/plain${block.charset ? `; charset="${block.charset}"` : ''}`;
        this.repairs.add('boundary-not-found');
        return;
      }
    }
    for (const [i, d] of delimiters.entries()) {
      if (d.closing) break;
      const end = delimiters[i + 1]?.start ?? limit;
      // The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
      const partEnd = end > d.next && this.raw[end - 1] === LF ? end - (this.raw[end - 2] === CR ? 2 : 1) : end;
      if (d.next < partEnd) this.walk(d.next, partEnd, depth + 1);
    }
  }

  /** Delimiter lines `--boundary` (or closing `--boundary--`) between start and limit. */
  private delimiters(boundary: string, start: number, limit: number): Array<{ start: number; next: number; closing: boolean }> {
    const marker = Buffer.from(`--${boundary}`, 'latin1');
    const found: Array<{ start: number; next: number; closing: boolean }> = [];
    let at = start;
    for (;;) {
      const hit = this.raw.indexOf(marker, at);
      if (hit === -1 || hit + marker.length > limit) return found;
      at = hit + marker.length;
      if (hit !== start && this.raw[hit - 1] !== LF) continue;
      const after = this.raw[at];
      const closing = after === 0x2d && this.raw[at + 1] === 0x2d;
      if (!closing && after !== undefined && after !== CR && after !== LF && after !== 0x20 && after !== 0x09) continue;
      const eol = this.raw.indexOf(LF, at);
      const next = eol === -1 || eol >= limit ? limit : eol + 1;
      found.push({ start: hit, next, closing });
      if (closing) return found;
    }
  }

  /** The boundary a body's delimiter lines use when it is not the declared one: a `--token` line seen twice. */
  private usedBoundary(start: number, limit: number): string | null {
    const seen = new Map<string, number>();
    let at = start;
    while (at < limit) {
      const eol = this.raw.indexOf(LF, at);
      const end = eol === -1 || eol > limit ? limit : eol;
      if (this.raw[at] === 0x2d && this.raw[at + 1] === 0x2d) {
        const token = this.raw.toString('latin1', at + 2, end).trimEnd().replace(/--$/, '');
        // "-- " is a signature separator, and a short token or a line of dashes is a rule, not a boundary.
        // A boundary may hold spaces (one folded inside its quotes reaches the delimiter lines cut short).
        if (token.length >= 6 && /[^-\s]/.test(token) && !token.includes('"')) {
          const count = (seen.get(token) ?? 0) + 1;
          if (count >= 2) return token;
          seen.set(token, count);
        }
      }
      at = end + 1;
    }
    return null;
  }

  private readHeader(start: number, limit: number): { block: Block; bodyStart: number } {
    const fields: Field[] = [];
    let current: Field | null = null;
    let at = start;
    while (at < limit) {
      const eol = this.raw.indexOf(LF, at);
      const next = eol === -1 || eol >= limit ? limit : eol + 1;
      const contentEnd = eol === -1 || eol >= limit ? limit : eol > at && this.raw[eol - 1] === CR ? eol - 1 : eol;
      if (contentEnd === at) return { block: this.blockOf(fields), bodyStart: next };
      const first = this.raw[at];
      const line: Line = { start: at, end: contentEnd, next, indent: false };
      if ((first === 0x20 || first === 0x09) && current !== null) {
        current.lines.push(line);
      } else {
        const text = this.raw.toString('latin1', at, Math.min(contentEnd, at + 200));
        if (FIELD_NAME.test(text)) {
          current = { name: text.slice(0, text.indexOf(':')).trim().toLowerCase(), lines: [line] };
          fields.push(current);
        } else if (current !== null && STRUCTURED.has(current.name) && PARAMETER_LINE.test(text)) {
          line.indent = true;
          current.lines.push(line);
          this.repairs.add('unindented-parameter');
        } else {
          current = null;
        }
      }
      at = next;
    }
    return { block: this.blockOf(fields), bodyStart: limit };
  }

  private blockOf(fields: Field[]): Block {
    for (const field of fields) {
      if (STRUCTURED.has(field.name) && withSemicolon(this.unfolded(field)) !== null) {
        field.missingSemicolon = true;
        this.repairs.add('missing-semicolon');
      }
    }
    return { fields, charset: null, contentType: null };
  }

  private unfolded(field: Field): string {
    const [first, ...rest] = field.lines;
    const head = this.raw.toString('latin1', first!.start, first!.end);
    const value = head.slice(head.indexOf(':') + 1);
    return [value, ...rest.map((l) => this.raw.toString('latin1', l.start, l.end))].join(' ').replace(/\s+/g, ' ').trim();
  }

  private fieldValue(block: Block, name: string): string {
    const field = block.fields.find((f) => f.name === name);
    return field === undefined ? '' : this.unfolded(field);
  }

  result(): RepairedMime {
    const edits: Array<{ start: number; end: number; bytes: Buffer }> = [];
    const eightBit = this.blocks.flatMap((b) => b.fields.filter((f) => this.needsCharset(f)).map((f) => ({ block: b, field: f })));
    const allCharsets = this.blocks.flatMap((b) => (b.charset ? [b.charset] : []));
    const topCharset = this.blocks[0]?.charset ?? null;
    const sample = Buffer.concat(eightBit.flatMap(({ field }) => field.lines.flatMap((l) => [this.raw.subarray(l.start, l.end), SPACE])));
    const candidatesFor = memo((own: string | null) =>
      charsetCandidates({ declared: [own, topCharset, ...allCharsets].filter((c): c is string => c !== null), sample }),
    );
    if (eightBit.length > 0) this.repairs.add('header-charset');

    for (const block of this.blocks) {
      for (const field of block.fields) {
        const edit = this.fieldEdit(block, field, candidatesFor);
        if (edit !== null) edits.push(edit);
      }
    }
    const repairs = [...this.repairs];
    if (edits.length === 0) return { raw: this.raw, repairs };
    edits.sort((a, b) => a.start - b.start);
    const pieces: Buffer[] = [];
    let at = 0;
    for (const edit of edits) {
      if (edit.start < at) continue;
      pieces.push(this.raw.subarray(at, edit.start), edit.bytes);
      at = edit.end;
    }
    pieces.push(this.raw.subarray(at));
    return { raw: Buffer.concat(pieces), repairs };
  }

  /** The field rewritten (decoded to UTF-8, indented, `;` added, boundary replaced), or null when it is fine. */
  private fieldEdit(block: Block, field: Field, candidatesFor: (own: string | null) => string[]) {
    const charset = this.needsCharset(field);
    const structured = STRUCTURED.has(field.name);
    const replaced = field.name === 'content-type' && block.contentType !== null;
    if (!charset && !replaced && !field.missingSemicolon && !field.lines.some((l) => l.indent)) return null;
    const parts: Buffer[] = [];
    for (const [i, line] of field.lines.entries()) {
      if (i > 0) parts.push(this.raw.subarray(field.lines[i - 1]!.end, line.start));
      if (line.indent) parts.push(Buffer.from('\t'));
      parts.push(this.raw.subarray(line.start, line.end));
    }
    const bytes = Buffer.concat(parts);
    const text = charset ? decodeHeaderBytes(bytes, candidatesFor(block.charset)).text : bytes.toString('latin1');
    const colon = text.indexOf(':');
    const value = text.slice(colon + 1).replace(/\r?\n[ \t]*/g, ' ').trim();
    const fixed = replaced ? block.contentType : structured ? withSemicolon(value) : null;
    const out = fixed === null ? text : `${text.slice(0, colon)}: ${fixed}`;
    const first = field.lines[0]!;
    const last = field.lines[field.lines.length - 1]!;
    const lineBreak = this.raw.subarray(last.end, last.next);
    return { start: first.start, end: last.next, bytes: Buffer.concat([Buffer.from(out, charset ? 'utf8' : 'latin1'), lineBreak]) };
  }

  /** A field with 8-bit bytes that are not UTF-8. */
  private needsCharset(field: Field): boolean {
    // ASCII is valid UTF-8, so one native check covers both.
    return field.lines.some((l) => !isUtf8(this.raw.subarray(l.start, l.end)));
  }
}

/** `text/plain charset=x` → `text/plain; charset=x`; null when the value needs no `;`. */
export function withSemicolon(value: string): string | null {
  const match = /^([^\s;=]+)[ \t]+(?=[!#$%&'*+.^_`|~0-9A-Za-z-]+\*?(\d+\*?)?[ \t]*=)/.exec(value);
  return match === null ? null : `${match[1]}; ${value.slice(match[0].length)}`;
}

function memo<K, V>(fn: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    if (!cache.has(key)) cache.set(key, fn(key));
    return cache.get(key)!;
  };
}
