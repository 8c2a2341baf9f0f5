// parseInbound over real-world mail (../shared/corpora, or LEOPARD_CORPORA_DIR): support-inbox fixtures,
// ~840 bounces and auto-replies, MIME torture tests, helpdesk regressions. Every mail must either parse
// into storable data or be refused with a ParseMessageError that says why; nothing may crash the process.
// Counts are printed, not asserted: they describe today's parser, the invariants describe the contract.
// What agents see is asserted over the whole corpus too: no U+FFFD in a subject or sender name where a
// legacy charset decodes the raw header bytes cleanly (before the header charset fallback: 1 subject and 2
// sender names of these corpora), a file name for every attachment, a text body for every HTML body with
// words, and a delivery report for every bounce with a delivery-status part.
//
// Which files are mail: each folder's MANIFEST.tsv lists them (first column). Unix mbox files (the
// manifest's type "(mbox)") are split into their messages, as an IMAP server would hold them. Everything
// else must be a known companion file (licence, source notes, mime4j's expected parse results), so a new
// kind of file in the corpus makes this test fail rather than be skipped silently.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  COMPANION_FILES,
  CORPUS_FOLDERS as FOLDERS,
  corporaDir,
  isExpectedParseResult,
  listFiles,
  type ManifestEntry,
  readManifest,
  splitMbox,
} from '../../test/harness/corpora';
import { htmlAsPlainText, ParseMessageError, type ParsedInbound, parseInbound, tryParseForIntake } from './parse-message';
import { isAttachedMessage, isDeliveryStatus } from './attachment-name';

type Outcome = { name: string; ok: true; parsed: ParsedInbound } | { name: string; ok: false; error: unknown };

/**
 * The manifest's subject was read by other tooling: an independent witness that the header was understood
 * (a mail read as one endless header line has no subject at all). Compared without whitespace, since
 * tools differ on the spaces between encoded words, and as a prefix, since the manifest cuts at 80 chars.
 * Only printable-ASCII subjects are compared: the manifest's charset handling is not ours to judge.
 */
function agreesWithManifest(entry: ManifestEntry, parsed: ParsedInbound): boolean {
  if (entry.subject === '' || /[^\x20-\x7e]/.test(entry.subject)) return true;
  const squeeze = (s: string) => s.replace(/\s+/g, '');
  return squeeze(parsed.subject).startsWith(squeeze(entry.subject));
}

async function parseOne(name: string, raw: Buffer): Promise<Outcome> {
  try {
    return { name, ok: true, parsed: await parseInbound(raw) };
  } catch (error) {
    return { name, ok: false, error };
  }
}

function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Buffer.isBuffer(value) || value instanceof Date || value === null || typeof value !== 'object') return out;
  else for (const item of Object.values(value)) stringsOf(item, out);
  return out;
}

function expectStorable(name: string, parsed: ParsedInbound): void {
  const where = `${name}: `;
  for (const s of stringsOf(parsed)) expect(s.includes('\u0000'), `${where}a text field holds NUL`).toBe(false);
  expect(typeof parsed.subject, where).toBe('string');
  expect(parsed.from === null || parsed.from.address !== '', `${where}from without an address`).toBe(true);
  expect(parsed.date === null || !Number.isNaN(parsed.date.getTime()), `${where}invalid date`).toBe(true);
  for (const key of Object.keys(parsed.headers)) expect(key, where).toBe(key.toLowerCase());
  for (const a of parsed.attachments) expect(a.size, `${where}attachment size`).toBe(a.content.length);
  for (const a of parsed.attachments) expect(a.filename, `${where}attachment (${a.contentType}) without a file name`).not.toBe('');
  if (parsed.html !== null && htmlAsPlainText(parsed.html) !== '') {
    expect((parsed.text ?? '').trim(), `${where}an HTML body with words but no text`).not.toBe('');
  }
  if (parsed.attachments.some((a) => a.contentType === 'message/delivery-status')) {
    expect(parsed.deliveryReport, `${where}a delivery-status part but no delivery report`).not.toBeNull();
  }
}

/** Charsets whose clean decode of a header means U+FFFD had no excuse. */
const LEGACY_CHARSETS = ['gb18030', 'big5', 'shift_jis', 'euc-kr', 'koi8-r', 'windows-1252'];

/** The raw bytes of the first `name` field of the top-level header, unfolded. */
function rawHeaderField(raw: Buffer, name: string): Buffer | null {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const match = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(end === -1 ? text : text.slice(0, end));
  return match ? Buffer.from(match[1]!.replace(/\r?\n[ \t]+/g, ' '), 'latin1') : null;
}

function decodesCleanlyInALegacyCharset(bytes: Buffer): string | null {
  for (const charset of LEGACY_CHARSETS) {
    const text = iconv.decode(bytes, charset);
    if (!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/.test(text)) return charset;
  }
  return null;
}

describe('the corpora folder', () => {
  it('exists, so that this tier cannot pass by reading nothing', () => {
    expect(
      existsSync(corporaDir),
      `No mail corpora at ${corporaDir}. Put the shared corpora beside the project (../shared/corpora) or set LEOPARD_CORPORA_DIR.`,
    ).toBe(true);
  });
});

describe.each(FOLDERS)('parseInbound over %s', (folder) => {
  it('parses every mail or refuses it with a reason, and accounts for every file', async () => {
    const dir = path.join(corporaDir, folder);
    expect(existsSync(dir), `missing corpus folder ${dir}`).toBe(true);
    const manifest = readManifest(folder);
    const mails = new Set(manifest.map((m) => m.file));

    const unaccounted = listFiles(dir).filter((f) => !mails.has(f) && !COMPANION_FILES.has(path.basename(f)) && !isExpectedParseResult(f, mails));
    expect(unaccounted, 'files that are neither mail in MANIFEST.tsv nor a known companion').toEqual([]);

    const outcomes: Outcome[] = [];
    const disagreements: string[] = [];
    for (const entry of manifest) {
      const full = path.join(dir, entry.file);
      expect(existsSync(full), `MANIFEST.tsv lists ${entry.file}, which is missing`).toBe(true);
      const bytes = readFileSync(full);
      const pieces = entry.contentType === '(mbox)' ? splitMbox(bytes) : [bytes];
      for (const [i, piece] of pieces.entries()) {
        const outcome = await parseOne(pieces.length === 1 ? entry.file : `${entry.file}#${i + 1}`, piece);
        outcomes.push(outcome);
        if (outcome.ok && pieces.length === 1 && !agreesWithManifest(entry, outcome.parsed)) {
          disagreements.push(`${entry.file}: manifest "${entry.subject}", parsed "${outcome.parsed.subject}"`);
        }
      }
    }
    expect(disagreements, 'subjects that differ from the manifest').toEqual([]);

    const failures = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    for (const failure of failures) {
      expect(failure.error, `${failure.name} threw something that is not a ParseMessageError`).toBeInstanceOf(ParseMessageError);
      expect((failure.error as Error).message.trim(), `${failure.name} failed without a message`).not.toBe('');
    }
    for (const o of outcomes) if (o.ok) expectStorable(o.name, o.parsed);
    expect(outcomes.length).toBeGreaterThanOrEqual(manifest.length);

    const reasons = new Map<string, string[]>();
    for (const f of failures) {
      const reason = (f.error as Error).message.replace(/\d+/g, 'N');
      reasons.set(reason, [...(reasons.get(reason) ?? []), f.name]);
    }
    const lines = [`${folder}: ${outcomes.length} mails, ${outcomes.length - failures.length} parsed, ${failures.length} refused`];
    for (const [reason, names] of reasons) lines.push(`  ${names.length} × ${reason}  (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`);
    console.log(lines.join('\n'));
  });
});

describe('header text over the whole corpus', () => {
  it('has no U+FFFD in a subject or sender name where a legacy charset decodes the raw bytes cleanly', async () => {
    const counts = { mails: 0, subjects: 0, senderNames: 0, fileNames: 0 };
    const inexcusable: string[] = [];
    for (const folder of FOLDERS) {
      for (const entry of readManifest(folder)) {
        const bytes = readFileSync(path.join(corporaDir, folder, entry.file));
        const pieces = entry.contentType === '(mbox)' ? splitMbox(bytes) : [bytes];
        for (const [i, piece] of pieces.entries()) {
          const outcome = await parseOne(`${folder}/${entry.file}${pieces.length > 1 ? `#${i + 1}` : ''}`, piece);
          if (!outcome.ok) continue;
          counts.mails += 1;
          const checks: Array<[string, string, keyof typeof counts]> = [
            ['Subject', outcome.parsed.subject, 'subjects'],
            [outcome.parsed.senderSource === 'sender' ? 'Sender' : outcome.parsed.senderSource === 'reply_to' ? 'Reply-To' : 'From', outcome.parsed.from?.name ?? '', 'senderNames'],
          ];
          counts.fileNames += outcome.parsed.attachments.filter((a) => a.filename.includes('\ufffd')).length;
          for (const [header, value, key] of checks) {
            if (!value.includes('\ufffd')) continue;
            counts[key] += 1;
            const raw = rawHeaderField(piece, header);
            const charset = raw === null ? null : decodesCleanlyInALegacyCharset(raw);
            if (charset !== null) inexcusable.push(`${outcome.name}: ${header} "${value}" decodes cleanly as ${charset}`);
          }
        }
      }
    }
    console.log(`U+FFFD over ${counts.mails} mails: ${counts.subjects} subjects, ${counts.senderNames} sender names, ${counts.fileNames} file names`);
    expect(inexcusable).toEqual([]);
  });
});

describe("the intake's parse over the whole corpus", () => {
  it('gives what parseInbound gives, attachments listed with the same size and checksum but without their bytes', async () => {
    let compared = 0;
    const differences: string[] = [];
    for (const folder of FOLDERS) {
      for (const entry of readManifest(folder)) {
        const bytes = readFileSync(path.join(corporaDir, folder, entry.file));
        const pieces = entry.contentType === '(mbox)' ? splitMbox(bytes) : [bytes];
        for (const [i, piece] of pieces.entries()) {
          const name = `${folder}/${entry.file}${pieces.length > 1 ? `#${i + 1}` : ''}`;
          const full = await parseOne(name, piece);
          const intake = await tryParseForIntake(piece);
          if (!full.ok) {
            if (intake.ok) differences.push(`${name}: refused by parseInbound, read by the intake`);
            continue;
          }
          if (!intake.ok) {
            differences.push(`${name}: read by parseInbound, refused by the intake (${intake.error})`);
            continue;
          }
          compared += 1;
          const kept = (type: string) => isAttachedMessage(type) || isDeliveryStatus(type);
          const want = { ...full.parsed, attachments: full.parsed.attachments.map((a) => ({ ...a, content: kept(a.contentType) ? a.content : Buffer.alloc(0) })) };
          try {
            expect(intake.value).toEqual(want);
          } catch {
            differences.push(name);
          }
        }
      }
    }
    console.log(`the intake's parse compared over ${compared} mails`);
    expect(differences).toEqual([]);
  });
});
