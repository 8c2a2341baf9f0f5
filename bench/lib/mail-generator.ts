// Realistic support mail, generated (nothing copied from a corpus) and repeatable: the same seed gives
// the same messages. The mix follows what a support mailbox receives: mostly short plain-text mail,
// a quarter HTML newsletters-style replies with a text part, and some mail with attachments (PDFs,
// screenshots inline in the HTML). Sizes run from 2 KB to 200 KB; a 25 MB attachment is its own helper.
import { randomBytes } from 'node:crypto';

export type GeneratedMail = { raw: Buffer; messageId: string; subject: string; kind: MailKind };
export type MailKind = 'text' | 'html' | 'attachment' | 'inline-image';

export const MIN_MAIL_BYTES = 2 * 1024;
export const MAX_MAIL_BYTES = 200 * 1024;

const FIRST = ['Jane', 'John', 'Amélie', 'Jürgen', 'Priya', 'Kenji', 'Olga', 'Carlos', 'Fatima', 'Liam', 'Noor', 'Sven', 'Chloé', 'Mateo', 'Aiko'];
const LAST = ['Doe', 'Smith', 'Müller', 'Dubois', 'Sharma', 'Tanaka', 'Ivanova', 'García', 'Haddad', 'O’Brien', 'van Dijk', 'Nowak', 'Rossi'];
const DOMAINS = ['customer.example', 'acme-corp.example', 'mail.example.org', 'shop.example.net', 'bigco.example'];
const TOPICS = [
  'Invoice question',
  'Cannot log in',
  'Order has not arrived',
  'Refund request',
  'Feature request: export to CSV',
  'Bug in the mobile app',
  'Change my billing address',
  'Printer on fire',
  'Password reset link expired',
  'Contract renewal',
  'Wrong item delivered',
  'Question about the API limits',
];
const WORDS = (
  'the a we our your order invoice account please thanks hello again still problem since yesterday morning ' +
  'attached screenshot error message page shows when I try to open it support team could you check this ' +
  'urgent customer delivery address payment card declined refund week number reference contract renewal ' +
  'über straße café déjà naïve résumé 東京 спасибо'
).split(' ');

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function between(rand: () => number, lo: number, hi: number): number {
  return Math.floor(lo + rand() * (hi - lo));
}

function sentence(rand: () => number): string {
  const n = between(rand, 6, 18);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(pick(rand, WORDS));
  const s = words.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

/** Paragraphs of text until about `bytes` long, wrapped at 76 columns as mailers do. */
function prose(rand: () => number, bytes: number): string {
  const paragraphs: string[] = [];
  let size = 0;
  while (size < bytes) {
    const lines: string[] = [];
    let line = '';
    for (let i = between(rand, 2, 6); i > 0; i--) {
      for (const word of sentence(rand).split(' ')) {
        if (line.length + word.length + 1 > 76) {
          lines.push(line);
          line = word;
        } else {
          line = line ? `${line} ${word}` : word;
        }
      }
    }
    if (line) lines.push(line);
    const paragraph = lines.join('\r\n');
    paragraphs.push(paragraph);
    size += Buffer.byteLength(paragraph) + 4;
  }
  return paragraphs.join('\r\n\r\n');
}

function html(rand: () => number, text: string, inlineCid?: string): string {
  const body = text
    .split('\r\n\r\n')
    .map((p) => `<p style="font-family:Arial,sans-serif;font-size:14px;color:#222">${p.replace(/\r\n/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`)
    .join('\r\n');
  const image = inlineCid ? `\r\n<p><img src="cid:${inlineCid}" alt="screenshot" width="640"></p>` : '';
  const signature = `<table style="border-top:1px solid #ccc;margin-top:16px"><tr><td style="color:#666;font-size:12px">Sent from ${pick(rand, ['Outlook', 'Gmail', 'Apple Mail', 'Thunderbird'])}</td></tr></table>`;
  return `<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"><style>p{margin:0 0 8px}</style></head><body>\r\n${body}${image}\r\n${signature}\r\n</body></html>`;
}

/** Base64 in 76-column lines, as MIME writes it. */
function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r\n');
}

function encodedWord(text: string): string {
  // Non-ASCII subjects travel as RFC 2047 encoded words.
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
}

export type MailSpec = {
  /** Unique per message; becomes the Message-ID and appears in the subject. */
  token: string;
  from?: { name: string; address: string };
  to?: string;
  /** Extra headers, e.g. In-Reply-To for a reply. */
  headers?: Array<[string, string]>;
};

/**
 * One mail of the realistic mix. `rand` decides the kind and size; the token makes it findable: it is
 * the start of the subject ([token]) and the local part of the Message-ID.
 */
export function realisticMail(rand: () => number, spec: MailSpec): GeneratedMail {
  const roll = rand();
  const kind: MailKind = roll < 0.55 ? 'text' : roll < 0.8 ? 'html' : roll < 0.92 ? 'attachment' : 'inline-image';
  const first = pick(rand, FIRST);
  const last = pick(rand, LAST);
  const from = spec.from ?? {
    name: `${first} ${last}`,
    address: `${first.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}.${Math.floor(rand() * 100_000)}@${pick(rand, DOMAINS)}`,
  };
  const topic = pick(rand, TOPICS);
  const subject = `[${spec.token}] ${rand() < 0.2 ? 'Re: ' : ''}${topic}${rand() < 0.1 ? ' – dringend, s’il vous plaît' : ''}`;
  const messageId = `<${spec.token}@bench.leopard.example>`;
  const boundary = (n: number) => `----=_Part_${spec.token}_${n}`;

  const target =
    kind === 'text'
      ? between(rand, MIN_MAIL_BYTES + 512, 8 * 1024)
      : kind === 'html'
        ? between(rand, 6 * 1024, 40 * 1024)
        : between(rand, 40 * 1024, MAX_MAIL_BYTES - 12 * 1024);

  const headers = [
    `Return-Path: <${from.address}>`,
    `Received: from mx.${from.address.split('@')[1]} (mx.${from.address.split('@')[1]} [192.0.2.${between(rand, 1, 254)}]) by mail.leopard.test with ESMTPS; ${new Date().toUTCString()}`,
    `From: ${encodedWord(from.name)} <${from.address}>`,
    `To: ${spec.to ?? 'Support <support@leopard.test>'}`,
    `Subject: ${encodedWord(subject)}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    ...(spec.headers ?? []).map(([name, value]) => `${name}: ${value}`),
  ];

  let body: string;
  let contentType: string;
  if (kind === 'text') {
    contentType = 'text/plain; charset=utf-8';
    headers.push('Content-Transfer-Encoding: 8bit');
    body = prose(rand, Math.max(256, target - 900));
  } else if (kind === 'html') {
    const text = prose(rand, Math.max(512, (target - 1200) * 0.4));
    contentType = `multipart/alternative; boundary="${boundary(1)}"`;
    body = [
      `--${boundary(1)}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      text,
      `--${boundary(1)}`,
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      html(rand, text),
      `--${boundary(1)}--`,
      '',
    ].join('\r\n');
  } else {
    const text = prose(rand, between(rand, 800, 4000));
    const cid = kind === 'inline-image' ? `img-${spec.token}@bench` : undefined;
    // Base64 grows the file by 4/3; what is left of the target after the text becomes the file.
    const fileBytes = Math.max(1024, Math.floor((target - Buffer.byteLength(text) * 2 - 2500) * 0.74));
    const file = kind === 'inline-image' ? fakeFile('png', fileBytes) : fakeFile(rand() < 0.6 ? 'pdf' : 'docx', fileBytes);
    const alternative = [
      `--${boundary(2)}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      text,
      `--${boundary(2)}`,
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      html(rand, text, cid),
      `--${boundary(2)}--`,
    ].join('\r\n');
    const attachmentHeaders =
      kind === 'inline-image'
        ? [`Content-Type: image/png; name="screenshot.png"`, 'Content-Transfer-Encoding: base64', `Content-ID: <${cid}>`, 'Content-Disposition: inline; filename="screenshot.png"']
        : [
            `Content-Type: ${file.contentType}; name="${file.name}"`,
            'Content-Transfer-Encoding: base64',
            `Content-Disposition: attachment; filename="${file.name}"`,
          ];
    contentType = `multipart/${kind === 'inline-image' ? 'related' : 'mixed'}; boundary="${boundary(1)}"`;
    body = [
      `--${boundary(1)}`,
      `Content-Type: multipart/alternative; boundary="${boundary(2)}"`,
      '',
      alternative,
      `--${boundary(1)}`,
      ...attachmentHeaders,
      '',
      base64Lines(file.content),
      `--${boundary(1)}--`,
      '',
    ].join('\r\n');
  }
  headers.push(`Content-Type: ${contentType}`);
  const raw = Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8');
  return { raw, messageId, subject, kind };
}

/** Random bytes behind a believable file header: attachments do not compress, like real PDFs and images. */
function fakeFile(type: 'pdf' | 'docx' | 'png', bytes: number): { name: string; contentType: string; content: Buffer } {
  const content = randomBytes(bytes);
  if (type === 'pdf') {
    content.write('%PDF-1.7\n', 0, 'latin1');
    return { name: 'invoice.pdf', contentType: 'application/pdf', content };
  }
  if (type === 'png') {
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(content, 0);
    return { name: 'screenshot.png', contentType: 'image/png', content };
  }
  content.write('PK\x03\x04', 0, 'latin1');
  return { name: 'report.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', content };
}

/** A short plain-text mail for latency probes: small, so the time measured is the pipeline's, not the parser's. */
export function probeMail(spec: MailSpec & { subject?: string }): GeneratedMail {
  const from = spec.from ?? { name: 'Probe Sender', address: `probe.${spec.token}@customer.example` };
  const subject = `[${spec.token}] ${spec.subject ?? 'Where is my order?'}`;
  const messageId = `<${spec.token}@bench.leopard.example>`;
  const lines = [
    `From: ${from.name} <${from.address}>`,
    `To: ${spec.to ?? 'Support <support@leopard.test>'}`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    ...(spec.headers ?? []).map(([name, value]) => `${name}: ${value}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Hello, my order from last week has not arrived yet. Could you look into it?',
    '',
    'Thanks, Probe',
    '',
  ];
  return { raw: Buffer.from(lines.join('\r\n'), 'utf8'), messageId, subject, kind: 'text' };
}

/** One mail carrying an attachment of `attachmentBytes` (the 25 MB case). */
export function bigAttachmentMail(spec: MailSpec & { attachmentBytes: number }): GeneratedMail {
  const from = spec.from ?? { name: 'Big Sender', address: `big.${spec.token}@customer.example` };
  const subject = `[${spec.token}] Scans of the signed contract`;
  const messageId = `<${spec.token}@bench.leopard.example>`;
  const boundary = `----=_Big_${spec.token}`;
  const file = fakeFile('pdf', spec.attachmentBytes);
  const raw = Buffer.from(
    [
      `From: ${from.name} <${from.address}>`,
      `To: ${spec.to ?? 'Support <support@leopard.test>'}`,
      `Subject: ${subject}`,
      `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Please find the signed contract attached.',
      `--${boundary}`,
      'Content-Type: application/pdf; name="contract-scans.pdf"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="contract-scans.pdf"',
      '',
      base64Lines(file.content),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'latin1',
  );
  return { raw, messageId, subject, kind: 'attachment' };
}
