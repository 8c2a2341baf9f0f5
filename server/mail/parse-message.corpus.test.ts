// parseInbound over real-world mail (../shared/corpora, or LEOPARD_CORPORA_DIR): support-inbox fixtures,
// ~840 bounces and auto-replies, MIME torture tests, helpdesk regressions. Every mail must either parse
// into storable data or be refused with a ParseMessageError that says why; nothing may crash the process.
// Counts are printed, not asserted: they describe today's parser, the invariants describe the contract.
//
// Which files are mail: each folder's MANIFEST.tsv lists them (first column). Unix mbox files (the
// manifest's type "(mbox)") are split into their messages, as an IMAP server would hold them. Everything
// else must be a known companion file (licence, source notes, mime4j's expected parse results), so a new
// kind of file in the corpus makes this test fail rather than be skipped silently.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
import { ParseMessageError, type ParsedInbound, parseInbound } from './parse-message';

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
