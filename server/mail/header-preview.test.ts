import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { readHeaderPreview } from './header-preview';

describe('readHeaderPreview', () => {
  it('reads a folded, encoded Subject and the From line from the header block only', () => {
    const head = Buffer.from(
      'Received: from x\r\nFrom: "Doe, Jane" <jane@customer.example>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n and more\r\n\r\nSubject: not this one\r\n',
    );
    expect(readHeaderPreview(head)).toEqual({ subject: 'Grüße and more', from: '"Doe, Jane" <jane@customer.example>' });
  });

  it('gives nulls for bytes without those headers, and for nothing at all', () => {
    expect(readHeaderPreview(Buffer.from([0xff, 0xfe, 0x00]))).toEqual({ subject: null, from: null });
    expect(readHeaderPreview(null)).toEqual({ subject: null, from: null });
  });

  it('puts control characters and NULs on one line', () => {
    expect(readHeaderPreview(Buffer.from('Subject: a\u0000b\tc\n\n')).subject).toBe('a b c');
  });

  it('reads a raw GB2312 subject as the parser does, not as replacement characters', () => {
    const head = Buffer.concat([Buffer.from('From: li@customer.example\r\nSubject: '), iconv.encode('关于会议的通知', 'gb2312'), Buffer.from('\r\n\r\nbody')]);
    expect(readHeaderPreview(head).subject).toBe('关于会议的通知');
  });
});
