import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { repairMime, withSemicolon } from './repair-mime';

const crlf = (...lines: Array<string | Buffer>) =>
  Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l, 'latin1') : l, Buffer.from('\r\n')]));

describe('repairMime', () => {
  it('hands well-formed mail over as the same buffer, untouched', () => {
    const raw = crlf('From: a@b.example', 'Subject: fine', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'hi', '--b--');
    const repaired = repairMime(raw);
    expect(repaired.raw).toBe(raw);
    expect(repaired.repairs).toEqual([]);
  });

  it('writes a legacy-charset header as UTF-8 and leaves the body bytes alone', () => {
    const raw = crlf(Buffer.concat([Buffer.from('Subject: '), iconv.encode('тест', 'koi8-r')]), 'Content-Type: text/plain; charset=koi8-r', '', iconv.encode('тело', 'koi8-r'));
    const repaired = repairMime(raw);
    expect(repaired.raw.toString('utf8')).toContain('Subject: тест\r\n');
    expect(repaired.raw.subarray(repaired.raw.length - 6)).toEqual(Buffer.concat([iconv.encode('тело', 'koi8-r'), Buffer.from('\r\n')]));
    expect(repaired.repairs).toEqual(['header-charset']);
  });

  it('decodes a part header by that part\'s own charset', () => {
    const raw = crlf(
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=big5',
      '',
      'x',
      '--b',
      Buffer.concat([Buffer.from('Content-Type: application/octet-stream; charset=shift_jis; name="'), iconv.encode('会議.txt', 'shift_jis'), Buffer.from('"')]),
      '',
      'y',
      '--b--',
    );
    expect(repairMime(raw).raw.toString('utf8')).toContain('name="会議.txt"');
  });

  it('indents a parameter line that continues Content-Type without leading space', () => {
    const raw = crlf('Content-Type: multipart/mixed;', 'boundary="b"', 'Subject: s', '', '--b', '', 'x', '--b--');
    const repaired = repairMime(raw);
    expect(repaired.raw.toString('latin1')).toContain('Content-Type: multipart/mixed;\r\n\tboundary="b"\r\nSubject: s\r\n');
    expect(repaired.repairs).toContain('unindented-parameter');
  });

  it('does not take an mbox From_ line or body text for a continuation', () => {
    const raw = crlf('From MAILER-DAEMON Thu Dec 22 17:54:04 2015', 'Subject: s', 'Content-Type: text/plain', '', 'a=b');
    expect(repairMime(raw).raw).toBe(raw);
  });

  it('reads a multipart whose boundary never occurs as text/plain, keeping its charset', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary="nowhere"; charset=iso-8859-1', '', 'plain text');
    const repaired = repairMime(raw);
    expect(repaired.raw.toString('latin1')).toContain('Content-Type: text/plain; charset="iso-8859-1"\r\n');
    expect(repaired.repairs).toEqual(['boundary-not-found']);
  });

  it('does not count a closing delimiter alone as the boundary occurring', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary="b"', '', 'text before', '--b--');
    expect(repairMime(raw).repairs).toEqual(['boundary-not-found']);
  });

  it('takes the boundary the delimiter lines use when the header names another', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary="declared"', '', '--used-one', '', 'a', '--used-one--');
    const repaired = repairMime(raw);
    expect(repaired.raw.toString('latin1')).toContain('Content-Type: multipart/mixed; boundary="used-one"\r\n');
    expect(repaired.repairs).toEqual(['boundary-replaced']);
  });

  it('does not take a line of dashes or a signature separator for a boundary', () => {
    const raw = crlf('Content-Type: multipart/mixed; boundary="declared"', '', 'text', '----------', 'more', '----------', '-- ', 'sig', '-- ');
    expect(repairMime(raw).repairs).toEqual(['boundary-not-found']);
  });
});

describe('repairMime on crafted input', () => {
  it('stops descending at a nesting depth no real mail reaches', () => {
    const depth = 5000;
    const head = Array.from({ length: depth }, (_, i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`).join('');
    const raw = Buffer.from(`${head}Content-Type: text/plain\r\n\r\ndeep\r\n`);
    expect(() => repairMime(raw)).not.toThrow();
  });
});

describe('withSemicolon', () => {
  it('adds the ; a Content-Type or Content-Disposition left out before its first parameter', () => {
    expect(withSemicolon('text/plain charset=iso-8859-1')).toBe('text/plain; charset=iso-8859-1');
    expect(withSemicolon('attachment filename="a b.pdf"')).toBe('attachment; filename="a b.pdf"');
    expect(withSemicolon('text/plain; charset=utf-8')).toBeNull();
    expect(withSemicolon('text/plain')).toBeNull();
  });
});
