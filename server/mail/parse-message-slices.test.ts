// A big message is handed to mailparser in slices (PARSE_SLICE_BYTES) so that parsing it does not block the
// worker for long; a slice edge may fall anywhere, inside a header, a boundary line or a base64 line.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PARSE_SLICE_BYTES, parseInbound } from './parse-message';

function message(padding: number, file: Buffer): Buffer {
  const head = [
    'From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@customer.example>',
    'To: support@acme.example',
    `Subject: Invoice ${'x'.repeat(padding)}`,
    'Message-ID: <sliced@customer.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="edge-boundary"',
    '',
    '--edge-boundary',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Grüße, see the attachment.',
    '--edge-boundary',
    'Content-Type: application/octet-stream; name="data.bin"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="data.bin"',
    '',
  ].join('\r\n');
  const body = file.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(`${head}\r\n${body}\r\n--edge-boundary--\r\n`, 'utf8');
}

describe('a message larger than one parse slice', () => {
  it('reads the same wherever the slice edges fall', async () => {
    const file = randomBytes(PARSE_SLICE_BYTES * 3);
    // Paddings that put a slice edge inside the Subject header, and elsewhere in the body.
    for (const padding of [PARSE_SLICE_BYTES - 100, 10, 1000, 40_000]) {
      const raw = message(padding, file);
      expect(raw.length).toBeGreaterThan(PARSE_SLICE_BYTES);
      const parsed = await parseInbound(raw);
      expect(parsed.subject).toBe(`Invoice ${'x'.repeat(padding)}`);
      expect(parsed.from).toEqual({ address: 'juergen@customer.example', name: 'Jürgen Müller' });
      expect(parsed.text?.trim()).toBe('Grüße, see the attachment.');
      expect(parsed.attachments).toHaveLength(1);
      expect(parsed.attachments[0]!.content.equals(file)).toBe(true);
    }
  });
});
