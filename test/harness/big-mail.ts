// A message big enough to be fetched in ranges (worker/fetch-ranges.ts), and the check that a ranged fetch from
// a real server gives the same bytes as fetching it whole, however right the announced size is.
import { createHash, randomBytes } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Database } from '../../server/db/client';
import { fetchSourceInRanges } from '../../worker/fetch-ranges';
import { uniqueMessageId } from './raw-mail';

/** A CRLF mail with a base64 attachment of `attachmentBytes` random bytes (with an odd line at the end). */
export function bigRawMail({ subject, attachmentBytes }: { subject: string; attachmentBytes: number }): Buffer {
  const body = randomBytes(attachmentBytes).toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Big Sender <big@customer.example>',
      'To: support@leopard.example',
      `Subject: ${subject}`,
      `Message-ID: ${uniqueMessageId()}`,
      'Date: Tue, 01 Dec 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The scan is attached.',
      '--b1',
      'Content-Type: application/pdf; name="scan.pdf"',
      'Content-Disposition: attachment; filename="scan.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      `${body}--b1--`,
      '',
    ].join('\r\n'),
  );
}

export const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Fetches `uid` whole, then in ranges with the server's RFC822.SIZE and with sizes announced wrong both ways
 * (and ranges ending exactly at the end); every ranged fetch must give the whole fetch's bytes. Returns them.
 */
export async function expectRangedFetchesAgree(client: ImapFlow, uid: number): Promise<Buffer> {
  const whole = await client.fetchOne(String(uid), { uid: true, source: true, size: true }, { uid: true });
  if (!whole || !whole.source) throw new Error(`the server has no message ${uid}`);
  const size = whole.size ?? 0;
  const range = 1024 * 1024;
  for (const [announced, rangeBytes] of [
    [size, range],
    [size, size],
    [size - 1, range],
    [size - 300_000, range],
    [size + 300_000, range],
    [0, range],
  ] as const) {
    const ranged = await fetchSourceInRanges(client, uid, announced, rangeBytes);
    expect(ranged?.equals(whole.source), `announced ${announced} of ${size}, ranges of ${rangeBytes}`).toBe(true);
  }
  return whole.source;
}

/** The SHA-256 of the raw bytes stored for a processor's messages. */
export async function storedRawSha256(db: Database, processorId: string): Promise<string[]> {
  const rows = await db.execute<{ sha: string }>(sql`select encode(sha256(content), 'hex') as sha from raw_messages where processor_id = ${processorId}`);
  return rows.map((r) => r.sha);
}
