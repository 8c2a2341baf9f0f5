// The real-world mail under ../shared/corpora (or LEOPARD_CORPORA_DIR), as the corpus tier reads it:
// each folder's MANIFEST.tsv lists its mail files (first column); Unix mbox files (the manifest's type
// "(mbox)") hold several messages and are split; everything else in a folder must be a known companion
// file (licence, source notes, mime4j's expected parse results).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../server/env';

// Tests may read test-only settings from the environment directly (server/env.ts holds the app's).
export const corporaDir = process.env.LEOPARD_CORPORA_DIR ?? path.resolve(projectRoot, '../shared/corpora');
export const CORPUS_FOLDERS = ['chatwoot', 'sisimai-set-of-emails', 'james-mime4j', 'rt'] as const;
export const COMPANION_FILES = new Set(['MANIFEST.tsv', 'SOURCE.txt', 'README.txt', 'ARTISTIC-LICENSE.txt']);

export type ManifestEntry = { file: string; contentType: string; subject: string };

export function readManifest(folder: string): ManifestEntry[] {
  const text = readFileSync(path.join(corporaDir, folder, 'MANIFEST.tsv'), 'latin1');
  const [header, ...rows] = text.split('\n').filter((line) => line.trim() !== '');
  if (header.split('\t')[0] !== 'file') throw new Error(`${folder}/MANIFEST.tsv does not start with a "file" column: ${header}`);
  return rows.map((row) => {
    const [file, , contentType, subject] = row.split('\t');
    return { file, contentType, subject: subject ?? '' };
  });
}

export function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    const relative = prefix === '' ? name : `${prefix}/${name}`;
    return statSync(full).isDirectory() ? listFiles(full, relative) : [relative];
  });
}

/** mime4j keeps, beside X.msg, its expected results: X.xml, X_decoded.xml, X.out, X_decoded_<part>.txt|.bin. */
export function isExpectedParseResult(file: string, mails: Set<string>): boolean {
  const match = /^(.*?)(?:_decoded(?:_[\d_]+)?)?\.(xml|out|txt|bin)$/.exec(file);
  return match !== null && mails.has(`${match[1]}.msg`);
}

/**
 * Splits an mbox at "From " lines that start a message (file start or after a blank line). Lines may end
 * in CRLF: sisimai's mailbox/mbox-0 does, and read with LF only it passed for one 37-message mail.
 */
export function splitMbox(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  const starts = [...text.matchAll(/(?:^|\r?\n\r?\n)From /g)].map((m) => m.index + m[0].length - 'From '.length);
  if (starts.length <= 1) return [bytes];
  return starts.map((start, i) => bytes.subarray(start, starts[i + 1] ?? bytes.length));
}

/** Drops an mbox piece's "From sender date" envelope line: it is the mbox's, not the message's. */
export function withoutMboxEnvelope(piece: Buffer): Buffer {
  if (piece.subarray(0, 5).toString('latin1') !== 'From ') return piece;
  const end = piece.indexOf(0x0a);
  return end === -1 ? Buffer.alloc(0) : piece.subarray(end + 1);
}
