// The intake's parse (tryParseForIntake) lists attachments without ever holding their decoded bytes: a big
// attachment must not cost its size (twice, while mailparser joins its pieces) in memory. The corpus tier
// checks that it otherwise gives exactly what parseInbound gives.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tryParseForIntake } from './parse-message';

const FILE_BYTES = 16 * 1024 * 1024;

function mailWith(file: Buffer): Buffer {
  return Buffer.from(
    [
      'From: Jane Doe <jane@customer.example>',
      'Subject: Scans',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Attached.',
      '--b1',
      'Content-Type: application/pdf; name="scans.pdf"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="scans.pdf"',
      '',
      file.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

describe('tryParseForIntake', () => {
  it('lists a big attachment with its size and checksum without holding its bytes', async () => {
    const file = randomBytes(FILE_BYTES);
    const raw = mailWith(file);
    const start = process.memoryUsage().arrayBuffers;
    let peak = start;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    const outcome = await tryParseForIntake(raw);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.value.attachments.map((a) => ({ filename: a.filename, size: a.size, bytes: a.content.length, checksum: a.checksum }))).toEqual([
      { filename: 'scans.pdf', size: FILE_BYTES, bytes: 0, checksum: createHash('sha256').update(file).digest('hex') },
    ]);
    expect(outcome.value.text).toContain('Attached.');
    // Gathering the file would take at least its size, and twice that while its pieces are joined.
    expect(peak - start).toBeLessThan(FILE_BYTES / 2);
  });
});
