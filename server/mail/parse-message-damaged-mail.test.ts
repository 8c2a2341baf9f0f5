// parseInbound over the kinds of damaged real-world mail agents used to see garbled or empty: raw 8-bit
// headers in legacy charsets, no usable From, parts without names, HTML-only bodies, bounces, broken MIME.
// Each fixture is a few hand-written lines; the bytes of a legacy charset are made with iconv-lite so the
// test reads as text.
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { parseInbound, toFilterableMessage } from './parse-message';

/** Lines joined with CRLF; `bytes` parts are inserted as they are. */
function mail(...lines: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const line of lines) parts.push(typeof line === 'string' ? Buffer.from(line, 'latin1') : line, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

const enc = (text: string, charset: string) => iconv.encode(text, charset);
const header = (name: string, text: string, charset: string) => Buffer.concat([Buffer.from(`${name}: `), enc(text, charset)]);

describe('raw 8-bit headers in a legacy charset', () => {
  it('decodes a GB2312 subject without a declared charset, not as ת�����', async () => {
    const parsed = await parseInbound(mail('From: li@customer.example', header('Subject', '转发：关于会议的通知', 'gb2312'), '', 'body'));
    expect(parsed.subject).toBe('转发：关于会议的通知');
  });

  it('decodes a Latin-1 display name by the charset the message declares, not as Sel�sdal', async () => {
    const parsed = await parseInbound(
      mail(header('From', 'Kari Selösdal <kari@customer.example>', 'latin1'), 'Subject: hei', 'Content-Type: text/plain; charset=iso-8859-1', '', 'body'),
    );
    expect(parsed.from).toEqual({ address: 'kari@customer.example', name: 'Kari Selösdal' });
    expect(toFilterableMessage(parsed).fromName).toBe('Kari Selösdal');
  });

  it('decodes a GBK attachment file name even when the body declares ISO-8859-1, not as ¼¨Ð§¹ÜÀí', async () => {
    const parsed = await parseInbound(
      mail(
        'From: li@customer.example',
        'Subject: report',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=iso-8859-1',
        '',
        'see attached',
        '--b1',
        Buffer.concat([Buffer.from('Content-Type: application/vnd.ms-excel; name="'), enc('绩效管理办法.xls', 'gbk'), Buffer.from('"')]),
        Buffer.concat([Buffer.from('Content-Disposition: attachment; filename="'), enc('绩效管理办法.xls', 'gbk'), Buffer.from('"')]),
        'Content-Transfer-Encoding: base64',
        '',
        'AAEC',
        '--b1--',
      ),
    );
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['绩效管理办法.xls']);
    expect(parsed.text).toContain('see attached');
  });

  it.each([
    ['Big5', '會議通知', 'big5'],
    ['Shift_JIS', '会議のお知らせ', 'shift_jis'],
    ['EUC-KR', '회의 안내', 'euc-kr'],
    ['KOI8-R', 'тест тест', 'koi8-r'],
    ['windows-1252', '“Résumé” – café', 'windows-1252'],
  ])('decodes a %s subject without U+FFFD', async (_name, text, charset) => {
    const parsed = await parseInbound(mail('From: a@customer.example', header('Subject', text, charset), '', 'body'));
    expect(parsed.subject).toBe(text);
  });

  it('keeps UTF-8 and RFC 2047 headers exactly as before', async () => {
    const parsed = await parseInbound(
      mail(Buffer.from('From: Jörg Müller <jorg@customer.example>', 'utf8'), 'Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= und mehr', '', 'body'),
    );
    expect(parsed.from).toEqual({ address: 'jorg@customer.example', name: 'Jörg Müller' });
    expect(parsed.subject).toBe('Grüße und mehr');
  });
});

describe('a message without a usable From', () => {
  it('takes the sender from Sender when From is missing, and says so', async () => {
    const parsed = await parseInbound(mail('Sender: Help Desk <desk@customer.example>', 'Subject: no from', '', 'body'));
    expect(parsed.from).toEqual({ address: 'desk@customer.example', name: 'Help Desk' });
    expect(parsed.senderSource).toBe('sender');
    expect(toFilterableMessage(parsed).fromAddress).toBe('desk@customer.example');
  });

  it('takes the sender from Reply-To when From is <> and there is no Sender', async () => {
    const parsed = await parseInbound(mail('From: <>', 'Reply-To: jane@customer.example', 'Subject: x', '', 'body'));
    expect(parsed.from).toEqual({ address: 'jane@customer.example', name: '' });
    expect(parsed.senderSource).toBe('reply_to');
  });

  it('takes the second From header when the first one is not an address', async () => {
    const parsed = await parseInbound(mail('From: undisclosed', 'From: Jane Doe <jane@customer.example>', 'Subject: x', '', 'body'));
    expect(parsed.from).toEqual({ address: 'jane@customer.example', name: 'Jane Doe' });
    expect(parsed.senderSource).toBe('from');
  });

  it('prefers Sender over a From that has a name but no domain', async () => {
    const parsed = await parseInbound(mail('From: Mail Delivery System <MAILER-DAEMON>', 'Sender: postmaster@relay.example', 'Subject: x', '', 'b'));
    expect(parsed.from?.address).toBe('postmaster@relay.example');
    expect(parsed.senderSource).toBe('sender');
  });

  it('says none when no header has an address', async () => {
    const parsed = await parseInbound(mail('From: <>', 'Subject: x', '', 'body'));
    expect(parsed.from).toBeNull();
    expect(parsed.senderSource).toBe('none');
  });
});

describe('parts without a file name', () => {
  const unnamed = mail(
    'From: a@customer.example',
    'Subject: parts',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'hello',
    '--b1',
    'Content-Type: image/png',
    'Content-Transfer-Encoding: base64',
    '',
    'iVBORw0KGgo=',
    '--b1',
    'Content-Type: message/rfc822',
    '',
    'From: b@customer.example',
    'Subject: =?UTF-8?Q?Quarterly_report_/_Q3?=',
    'Message-ID: <inner@customer.example>',
    '',
    'inner body',
    '--b1',
    'Content-Type: application/octet-stream',
    '',
    'xyz',
    '--b1--',
  );

  it("names an attached message by its subject + .eml, others part-N.<extension of its type>", async () => {
    const parsed = await parseInbound(unnamed);
    expect(parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['part-1.png', 'image/png'],
      ['Quarterly report _ Q3.eml', 'message/rfc822'],
      ['part-3.bin', 'application/octet-stream'],
    ]);
  });

  it('never leaves a file name empty', async () => {
    for (const a of (await parseInbound(unnamed)).attachments) expect(a.filename).not.toBe('');
  });
});

describe('a mail with only an HTML body', () => {
  it('gets a text body from its HTML when the HTML sits beside attachments', async () => {
    const parsed = await parseInbound(
      mail(
        'From: a@customer.example',
        'Subject: html and attachment',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<html><body><p>The <b>printer</b> is on fire.</p><p>Second paragraph</p><img src="cid:x@y"></body></html>',
        '--b1',
        'Content-Type: application/pdf; name="a.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQK',
        '--b1--',
      ),
    );
    expect(parsed.text).toBe('The printer is on fire.\n\nSecond paragraph');
    expect(toFilterableMessage(parsed).body).toBe('The printer is on fire.\n\nSecond paragraph');
  });
});

describe('a bounce', () => {
  const bounce = mail(
    'From: Mail Delivery System <MAILER-DAEMON@relay.example>',
    'To: support@acme.example',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="r1"',
    '',
    '--r1',
    'Content-Type: text/plain',
    '',
    'I am sorry to inform you that your message could not be delivered.',
    '--r1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; relay.example',
    'Arrival-Date: Tue, 4 Mar 2025 10:00:00 +0000',
    '',
    'Final-Recipient: rfc822; jane@customer.example',
    'Original-Recipient: rfc822;jane@customer.example',
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.customer.example',
    'Diagnostic-Code: smtp; 550 5.1.1 <jane@customer.example>: Recipient',
    '    address rejected: User unknown',
    '',
    '--r1',
    'Content-Type: message/rfc822',
    '',
    'From: support@acme.example',
    'To: jane@customer.example',
    'Subject: [LC0000042] Re: Printer on fire',
    'Message-ID: <reply-42@acme.example>',
    'In-Reply-To: <first@customer.example>',
    'References: <first@customer.example>',
    '',
    'We are on it.',
    '--r1--',
  );

  it('keeps the delivery status out of the text and reads it as a report', async () => {
    const parsed = await parseInbound(bounce);
    expect(parsed.text?.trim()).toBe('I am sorry to inform you that your message could not be delivered.');
    expect(parsed.text).not.toContain('Final-Recipient');
    expect(parsed.deliveryReport).toEqual({
      reportingMta: 'relay.example',
      arrivalDate: 'Tue, 4 Mar 2025 10:00:00 +0000',
      recipients: [
        {
          finalRecipient: 'jane@customer.example',
          originalRecipient: 'jane@customer.example',
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: '550 5.1.1 <jane@customer.example>: Recipient address rejected: User unknown',
          remoteMta: 'mx.customer.example',
        },
      ],
      originalMessageId: 'reply-42@acme.example',
      originalReferences: ['first@customer.example'],
      originalSubject: '[LC0000042] Re: Printer on fire',
    });
  });

  it('keeps the returned message as an .eml attachment and the status as delivery-status.txt', async () => {
    const parsed = await parseInbound(bounce);
    expect(parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['delivery-status.txt', 'message/delivery-status'],
      ['[LC0000042] Re_ Printer on fire.eml', 'message/rfc822'],
    ]);
  });

  it('gives no report for ordinary mail', async () => {
    expect((await parseInbound(mail('From: a@customer.example', 'Subject: x', '', 'body'))).deliveryReport).toBeNull();
  });
});

describe('malformed MIME does not hide a readable body', () => {
  it('shows the text of a multipart whose declared boundary never occurs in the body', async () => {
    const parsed = await parseInbound(
      mail('From: a@customer.example', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="nowhere"', '', 'Hello, this is readable.'),
    );
    expect(parsed.text?.trim()).toBe('Hello, this is readable.');
  });

  it('reads the parts by the boundary the body uses when the header names another', async () => {
    const parsed = await parseInbound(
      mail(
        'From: a@customer.example',
        'Subject: x',
        'Content-Type: multipart/alternative; boundary="declared-one"',
        '',
        '--actual-boundary',
        'Content-Type: text/plain',
        '',
        'plain words',
        '--actual-boundary',
        'Content-Type: text/html',
        '',
        '<p>html words</p>',
        '--actual-boundary--',
      ),
    );
    expect(parsed.text?.trim()).toBe('plain words');
    expect(parsed.html).toContain('html words');
  });

  it('reads the charset of a Content-Type missing its ; before charset=', async () => {
    const parsed = await parseInbound(
      mail('From: a@customer.example', 'Subject: x', 'Content-Type: text/plain charset=iso-8859-1', '', enc('Grüße aus Köln', 'latin1')),
    );
    expect(parsed.text?.trim()).toBe('Grüße aus Köln');
    expect(parsed.attachments).toEqual([]);
  });

  it('keeps a boundary written on an unindented continuation line', async () => {
    const parsed = await parseInbound(
      mail(
        'From: a@customer.example',
        'Subject: x',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative;',
        'boundary="zzz"',
        '',
        '--zzz',
        'Content-Type: text/plain;',
        'charset="iso-8859-1"',
        '',
        enc('Grüße', 'latin1'),
        '--zzz--',
      ),
    );
    expect(parsed.text?.trim()).toBe('Grüße');
  });
});

describe('headers for filters on a named header', () => {
  it('hold the decoded text of a raw 8-bit header, not its bytes as Latin-1', async () => {
    const parsed = await parseInbound(mail('From: a@customer.example', header('X-Department', 'Служба поддержки', 'koi8-r'), Buffer.from('X-Team: Équipe', 'utf8'), '', 'b'));
    expect(parsed.headers['x-department']).toEqual(['Служба поддержки']);
    expect(parsed.headers['x-team']).toEqual(['Équipe']);
  });
});
