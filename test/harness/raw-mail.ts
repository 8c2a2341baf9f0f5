// Small hand-written RFC 822 messages for tests. Every header is written exactly as given (so tests can
// use encoded words, odd spacing or leave a header out with null); lines end in CRLF as on the wire.

export type RawMailSpec = {
  /** null leaves the header out. */
  from?: string | null;
  to?: string | null;
  subject?: string | null;
  messageId?: string | null;
  date?: string | null;
  inReplyTo?: string;
  references?: string;
  /** Extra headers, in order, written after the standard ones. */
  headers?: Array<[string, string]>;
  body?: string;
};

let counter = 0;

/** A Message-ID no other test message has. */
export function uniqueMessageId(label = 'msg'): string {
  counter += 1;
  return `<${label}-${process.pid}-${Date.now()}-${counter}@customer.example>`;
}

export function rawMail(spec: RawMailSpec = {}): Buffer {
  const lines: string[] = [];
  const add = (name: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined) lines.push(`${name}: ${value}`);
  };
  add('From', spec.from === undefined ? 'Jane Doe <jane@customer.example>' : spec.from);
  add('To', spec.to === undefined ? 'Support <support@acme.example>' : spec.to);
  add('Subject', spec.subject === undefined ? 'Printer on fire' : spec.subject);
  add('Message-ID', spec.messageId === undefined ? uniqueMessageId() : spec.messageId);
  add('Date', spec.date === undefined ? 'Tue, 04 Mar 2025 10:00:00 +0000' : spec.date);
  add('In-Reply-To', spec.inReplyTo);
  add('References', spec.references);
  for (const [name, value] of spec.headers ?? []) add(name, value);
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${(spec.body ?? 'Hello, it is on fire again.').replace(/\r?\n/g, '\r\n')}\r\n`, 'utf8');
}
