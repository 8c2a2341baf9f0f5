import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawMail } from '../../test/harness/raw-mail';
import { htmlAsPlainText, MAX_MESSAGE_ID_CHARS, ParseMessageError, parseInbound, toFilterableMessage } from './parse-message';

const crlf = (...lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

async function parseFailure(raw: Buffer): Promise<ParseMessageError> {
  const err = await parseInbound(raw).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParseMessageError);
  return err as ParseMessageError;
}

function containsNul(value: unknown): boolean {
  return JSON.stringify(value, (_key, v) => (Buffer.isBuffer(v) ? null : v)).includes('\\u0000');
}

describe('parseInbound refuses what cannot become a case', () => {
  it('rejects a 0-byte message as empty', async () => {
    const err = await parseFailure(Buffer.alloc(0));
    expect(err.code).toBe('empty');
    expect(err.message).toMatch(/empty/);
  });

  it('rejects a message of only blank lines as empty', async () => {
    expect((await parseFailure(Buffer.from('\r\n\r\n  \n'))).code).toBe('empty');
  });

  it('rejects binary garbage that has no header line', async () => {
    const err = await parseFailure(Buffer.from([0xff, 0xfe, 0x01, 0x02, 0x0a, 0x41, 0x42]));
    expect(err.code).toBe('no_headers');
    expect(err.message).toMatch(/no header/);
  });
});

describe('parseInbound reads unusual but real mail', () => {
  it('parses a message that is only a header, with no body', async () => {
    const parsed = await parseInbound(crlf('From: jane@customer.example', 'Subject: Only a header', ''));
    expect(parsed.subject).toBe('Only a header');
    expect(parsed.from).toEqual({ address: 'jane@customer.example', name: '' });
    expect(parsed.text ?? '').toBe('');
    expect(parsed.attachments).toEqual([]);
  });

  it('gives from: null for a bounce without a From header, and keeps the rest', async () => {
    const parsed = await parseInbound(rawMail({ from: null, subject: 'Undelivered Mail Returned to Sender', headers: [['Return-Path', '<>']] }));
    expect(parsed.from).toBeNull();
    expect(parsed.subject).toBe('Undelivered Mail Returned to Sender');
    expect(parsed.returnPath).toBe('');
    expect(toFilterableMessage(parsed).fromAddress).toBe('');
  });

  it('gives from: null when the From header has a name but no address', async () => {
    expect((await parseInbound(rawMail({ from: 'Mail Delivery System' }))).from).toBeNull();
  });

  it('decodes encoded-word subjects and display names, including words split mid-character', async () => {
    const parsed = await parseInbound(
      rawMail({
        from: '=?ISO-8859-1?Q?J=F6rg_M=FCller?= <jorg@customer.example>',
        subject: '=?UTF-8?B?w4Rw?= =?UTF-8?B?ZmVs?= und =?UTF-8?Q?Birnen_=E2=82=AC?=',
      }),
    );
    expect(parsed.subject).toBe('Äpfel und Birnen €');
    expect(parsed.from).toEqual({ address: 'jorg@customer.example', name: 'Jörg Müller' });
  });

  it('skips a leading mbox "From " line', async () => {
    const raw = Buffer.concat([Buffer.from('From MAILER-DAEMON Thu Dec 22 17:54:04 2015\n'), rawMail({ subject: 'after the From_ line' })]);
    const parsed = await parseInbound(raw);
    expect(parsed.subject).toBe('after the From_ line');
    expect(Object.keys(parsed.headers)).not.toContain('from mailer-daemon thu dec 22 17');
  });

  it('removes NUL characters from every text field, since Postgres cannot store them', async () => {
    const raw = Buffer.from(
      'From: "Ja\0ne Doe" <jane@customer.example>\r\nTo: support@acme.example\r\nSubject: broken\0 subject\r\n' +
        'X-Odd: a\0b\r\nMessage-ID: <id\0x@customer.example>\r\n\r\nhello\0world\r\n',
      'latin1',
    );
    const parsed = await parseInbound(raw);
    expect(containsNul(parsed)).toBe(false);
    expect(parsed.subject).toBe('broken subject');
    expect(parsed.text).toContain('helloworld');
    expect(parsed.headers['x-odd']).toEqual(['ab']);
    expect(parsed.messageId).toBe('idx@customer.example');
  });

  it('reads a message whose lines end in CR alone (old Mac mailers) instead of one endless header', async () => {
    const raw = Buffer.from('From: Jane <jane@customer.example>\rSubject: CR only\rTo: support@acme.example\r\rline one\rline two\r');
    const parsed = await parseInbound(raw);
    expect(parsed.subject).toBe('CR only');
    expect(parsed.from).toEqual({ address: 'jane@customer.example', name: 'Jane' });
    expect(parsed.text).toBe('line one\nline two\n');
  });

  it('decodes a Latin-1 body by its declared charset', async () => {
    const raw = Buffer.concat([
      crlf('From: jane@customer.example', 'Subject: charset', 'Content-Type: text/plain; charset=iso-8859-1', '', ''),
      Buffer.from('Gr\xfc\xdfe\r\n', 'latin1'),
    ]);
    expect((await parseInbound(raw)).text).toBe('Grüße\n');
  });

  it('keeps an unknown charset readable rather than failing', async () => {
    const raw = crlf('From: jane@customer.example', 'Subject: odd', 'Content-Type: text/plain; charset=x-no-such-charset', '', 'plain words', '');
    expect((await parseInbound(raw)).text).toContain('plain words');
  });
});

describe('parseInbound threading and header fields', () => {
  it('normalizes Message-ID, In-Reply-To and References (oldest first)', async () => {
    const parsed = await parseInbound(
      rawMail({ messageId: ' <Own@Customer.Example> ', inReplyTo: '<b@acme.example>', references: '<a@acme.example>\r\n <b@acme.example>' }),
    );
    expect(parsed.messageId).toBe('Own@Customer.Example');
    expect(parsed.inReplyTo).toBe('b@acme.example');
    expect(parsed.references).toEqual(['a@acme.example', 'b@acme.example']);
  });

  it('treats an absurdly long Message-ID as absent', async () => {
    const parsed = await parseInbound(rawMail({ messageId: `<${'x'.repeat(MAX_MESSAGE_ID_CHARS + 1)}@customer.example>` }));
    expect(parsed.messageId).toBeNull();
  });

  it('gives date: null for a Date header that does not parse', async () => {
    expect((await parseInbound(rawMail({ date: 'the day before yesterday' }))).date).toBeNull();
    expect((await parseInbound(rawMail({ date: 'Tue, 04 Mar 2025 10:00:00 +0000' }))).date?.toISOString()).toBe('2025-03-04T10:00:00.000Z');
  });

  it('collects headers by lower-cased name, unfolded, repeated ones as several values', async () => {
    const parsed = await parseInbound(
      rawMail({ headers: [['X-Loop', 'one'], ['x-loop', 'two'], ['Auto-Submitted', 'auto-replied;\r\n owner-email=x@y.example']] }),
    );
    expect(parsed.headers['x-loop']).toEqual(['one', 'two']);
    expect(parsed.headers['auto-submitted']).toEqual(['auto-replied; owner-email=x@y.example']);
  });

  it('flattens address groups and drops entries without an address', async () => {
    const parsed = await parseInbound(rawMail({ to: 'Team: a@acme.example, "B" <b@acme.example>;, undisclosed-recipients:;' }));
    expect(parsed.to).toEqual([
      { address: 'a@acme.example', name: '' },
      { address: 'b@acme.example', name: 'B' },
    ]);
  });
});

describe('parseInbound attachments', () => {
  const related = crlf(
    'From: Jane Doe <jane@customer.example>',
    'Subject: screenshot',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    'Content-Type: multipart/related; boundary="rel"',
    '',
    '--rel',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><head><style>p { color: red }</style></head><body><p>See &amp; weep:</p><img src="cid:shot-1@customer.example"></body></html>',
    '--rel',
    'Content-Type: image/png',
    'Content-ID: <shot-1@customer.example>',
    'Content-Transfer-Encoding: base64',
    '',
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    '--rel--',
    '--outer',
    'Content-Type: application/pdf; name="invoice.pdf"',
    'Content-Disposition: inline; filename="invoice.pdf"',
    'Content-ID: <pdf-1@customer.example>',
    'Content-Transfer-Encoding: base64',
    '',
    'JVBERi0xLjQK',
    '--outer--',
    '',
  );

  it('marks an image the HTML shows by cid: as inline and keeps the cid: link', async () => {
    const parsed = await parseInbound(related);
    const image = parsed.attachments.find((a) => a.contentType === 'image/png');
    expect(image).toMatchObject({ contentId: 'shot-1@customer.example', inline: true });
    expect(image!.checksum).toBe(createHash('sha256').update(image!.content).digest('hex'));
    expect(image!.size).toBe(image!.content.length);
    expect(parsed.html).toContain('cid:shot-1@customer.example');
  });

  it('lists an inline PDF that nothing shows as an attachment', async () => {
    const pdf = (await parseInbound(related)).attachments.find((a) => a.contentType === 'application/pdf');
    expect(pdf).toMatchObject({ filename: 'invoice.pdf', contentId: 'pdf-1@customer.example', inline: false });
    expect(pdf!.content.toString('latin1')).toBe('%PDF-1.4\n');
  });

  it('gives filters the words of an HTML-only body', async () => {
    const body = toFilterableMessage(await parseInbound(related)).body;
    expect(body).toBe('See & weep:');
  });
});

describe('htmlAsPlainText', () => {
  it('drops an unclosed <style> to the end instead of rescanning for every opening tag', () => {
    const html = '<p>keep</p>' + '<style>'.repeat(50_000);
    const started = performance.now();
    expect(htmlAsPlainText(html)).toBe('keep');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
