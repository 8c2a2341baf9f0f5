import { describe, it, expect } from 'vitest';
import { MAX_DISPLAY_NAME_CHARS, MAX_ORIGINAL_SUBJECT_CHARS, MAX_REFERENCES, buildAutoReply, shortDisplayName, type AutoReplyInput } from './auto-reply-message';
import { findCaseTags } from './case-tag';
import { parseReferences } from './message-id';

const base: AutoReplyInput = {
  caseNumber: 1234,
  processorAddress: 'support@acme.example',
  processorName: 'Acme Support',
  toAddress: 'jane.doe@customer.example',
  toName: 'Jane Doe',
  originalSubject: 'Printer on fire',
  originalMessageId: '<original-1@customer.example>',
  originalReferences: ['<root@customer.example>', '<middle@acme.example>'],
};

describe('buildAutoReply', () => {
  it('comes from the processor and goes to the sender', () => {
    const mail = buildAutoReply(base);
    expect(mail.from).toEqual({ address: 'support@acme.example', name: 'Acme Support' });
    expect(mail.to).toEqual({ address: 'jane.doe@customer.example', name: 'Jane Doe' });
  });

  it('tags the subject with the case number and marks it as a reply', () => {
    expect(buildAutoReply(base).subject).toBe('[LC0001234] Re: Printer on fire');
  });

  it('does not add a second "Re:"', () => {
    expect(buildAutoReply({ ...base, originalSubject: 'RE: Printer on fire' }).subject).toBe('[LC0001234] RE: Printer on fire');
  });

  it('does not repeat a tag the original subject already carries', () => {
    const subject = buildAutoReply({ ...base, originalSubject: '[LC0001234] Printer on fire' }).subject;
    expect(subject).toBe('Re: [LC0001234] Printer on fire');
    expect(findCaseTags(subject)).toEqual([1234]);
  });

  it('gives a mail without a subject a tagged subject of its own', () => {
    expect(buildAutoReply({ ...base, originalSubject: '  ' }).subject).toBe('[LC0001234] We received your message');
  });

  it('puts a multi-line subject on one line', () => {
    expect(buildAutoReply({ ...base, originalSubject: 'Printer\r\nBcc: victim@evil.example' }).subject).toBe('[LC0001234] Re: Printer Bcc: victim@evil.example');
  });

  it('shortens a very long original subject but keeps the tag', () => {
    const subject = buildAutoReply({ ...base, originalSubject: 'x'.repeat(5000) }).subject;
    expect(subject.length).toBeLessThan(MAX_ORIGINAL_SUBJECT_CHARS + 30);
    expect(subject.endsWith('…')).toBe(true);
    expect(findCaseTags(subject)).toEqual([1234]);
  });

  it('marks itself as an automatic reply that should not be answered automatically', () => {
    const { headers } = buildAutoReply(base);
    expect(headers['Auto-Submitted']).toBe('auto-replied');
    expect(headers['X-Auto-Response-Suppress']).toBe('All');
  });

  it('points In-Reply-To and References at the original message', () => {
    const { headers } = buildAutoReply(base);
    expect(headers['In-Reply-To']).toBe('<original-1@customer.example>');
    expect(headers['References']).toBe('<root@customer.example> <middle@acme.example> <original-1@customer.example>');
  });

  it('lists the original message once in References, at the end', () => {
    const { headers } = buildAutoReply({ ...base, originalReferences: ['<original-1@customer.example> <root@customer.example>'] });
    expect(headers['References']).toBe('<root@customer.example> <original-1@customer.example>');
  });

  it(`keeps only the last ${MAX_REFERENCES} ids in References`, () => {
    const originalReferences = Array.from({ length: 50 }, (_, i) => `<ref-${i}@x.example>`);
    const references = parseReferences(buildAutoReply({ ...base, originalReferences }).headers['References']);
    expect(references).toHaveLength(MAX_REFERENCES);
    expect(references.at(-1)).toBe('original-1@customer.example');
    expect(references.at(-2)).toBe('ref-49@x.example');
    expect(references).not.toContain('ref-0@x.example');
  });

  it('leaves out threading headers it has nothing for', () => {
    const { headers } = buildAutoReply({ ...base, originalMessageId: null, originalReferences: [] });
    expect(headers).not.toHaveProperty('In-Reply-To');
    expect(headers).not.toHaveProperty('References');
  });

  it('keeps References from the original when the original has no Message-ID', () => {
    const { headers } = buildAutoReply({ ...base, originalMessageId: '  ', originalReferences: ['<root@customer.example>'] });
    expect(headers).not.toHaveProperty('In-Reply-To');
    expect(headers['References']).toBe('<root@customer.example>');
  });

  it('leaves out ids that would break the header', () => {
    const { headers } = buildAutoReply({ ...base, originalMessageId: 'bad>id@x', originalReferences: ['ok@x.example', 'ünïcode@x.example'] });
    expect(headers).not.toHaveProperty('In-Reply-To');
    expect(headers['References']).toBe('<ok@x.example>');
  });

  describe('Message-ID', () => {
    it('is the same every time the same reply is built, so a retry sends the same mail', () => {
      expect(buildAutoReply(base).headers['Message-ID']).toBe(buildAutoReply({ ...base }).headers['Message-ID']);
      expect(buildAutoReply(base).headers['Message-ID']).toBe(buildAutoReply({ ...base, originalMessageId: 'original-1@customer.example' }).headers['Message-ID']);
    });

    it('differs between cases and between original messages', () => {
      const ids = new Set([
        buildAutoReply(base).headers['Message-ID'],
        buildAutoReply({ ...base, caseNumber: 1235 }).headers['Message-ID'],
        buildAutoReply({ ...base, originalMessageId: '<original-2@customer.example>' }).headers['Message-ID'],
        buildAutoReply({ ...base, originalMessageId: null }).headers['Message-ID'],
      ]);
      expect(ids.size).toBe(4);
    });

    it('names the case and uses the processor domain', () => {
      expect(buildAutoReply(base).headers['Message-ID']).toMatch(/^<auto-reply\.lc0001234\.[0-9a-f]{24}@acme\.example>$/);
    });

    it('uses the given Message-ID domain instead', () => {
      expect(buildAutoReply({ ...base, messageIdDomain: 'Mail.Leopard.Example' }).headers['Message-ID']).toMatch(/@mail\.leopard\.example>$/);
    });

    it('falls back to a reserved domain when the domain is unusable', () => {
      expect(buildAutoReply({ ...base, messageIdDomain: 'bad domain>' }).headers['Message-ID']).toMatch(/@leopard\.invalid>$/);
    });
  });

  describe('body', () => {
    it('greets the sender by name and gives the case number and how to reply', () => {
      const { text } = buildAutoReply(base);
      expect(text).toContain('Hello Jane Doe,');
      expect(text).toContain('opened case LC0001234');
      expect(text).toContain('keep [LC0001234] in the subject');
      expect(text).toContain('"Printer on fire"');
      expect(text).toContain('Acme Support');
    });

    it('greets without a name when the sender gave none', () => {
      const mail = buildAutoReply({ ...base, toName: null });
      expect(mail.text.startsWith('Hello,\n')).toBe(true);
      expect(mail.to.name).toBeNull();
      expect(buildAutoReply({ ...base, toName: '  ' }).to.name).toBeNull();
    });

    it('escapes the subject and names in the HTML body', () => {
      const mail = buildAutoReply({
        ...base,
        toName: '<script>alert(1)</script>',
        processorName: 'Tom & Jerry\'s "Support"',
        originalSubject: '<img src=x onerror=alert(1)>',
      });
      expect(mail.html).not.toContain('<script>');
      expect(mail.html).not.toContain('<img');
      expect(mail.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;,');
      expect(mail.html).toContain('Tom &amp; Jerry&#39;s &quot;Support&quot;');
      expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(mail.text).toContain('Hello <script>alert(1)</script>,');
    });

    it('signs with the processor address when the processor has no name', () => {
      const mail = buildAutoReply({ ...base, processorName: ' ' });
      expect(mail.from).toEqual({ address: 'support@acme.example', name: null });
      expect(mail.text).toContain('Thank you for contacting support@acme.example.');
    });

    it('puts names on one line', () => {
      const mail = buildAutoReply({ ...base, toName: 'Jane\r\nBcc: Doe', processorName: 'Acme\nSupport' });
      expect(mail.to.name).toBe('Jane Bcc: Doe');
      expect(mail.from.name).toBe('Acme Support');
    });

    it('shows at most 64 characters of a forged 5,160-character name, in the greeting and the To header', () => {
      const forged = 'Win a prize now '.repeat(323).slice(0, 5160);
      const mail = buildAutoReply({ ...base, toName: forged });
      expect(Array.from(mail.to.name!).length).toBeLessThanOrEqual(MAX_DISPLAY_NAME_CHARS);
      expect(mail.to.name!.endsWith('…')).toBe(true);
      expect(mail.text.split('\n')[0]).toBe(`Hello ${mail.to.name},`);
      expect(mail.text.length).toBeLessThan(1000);
    });

    it('leaves out a name that carries an address or a link, which is how backscatter spam speaks', () => {
      for (const toName of ['Claim at https://evil.example/x', 'write to boss@evil.example', 'visit www.evil.example']) {
        const mail = buildAutoReply({ ...base, toName });
        expect(mail.to.name, toName).toBeNull();
        expect(mail.text.startsWith('Hello,\n')).toBe(true);
      }
    });

    it('drops invisible formatting characters such as a right-to-left override', () => {
      expect(shortDisplayName('Jane\u202e eoD\u200b')).toBe('Jane eoD');
      expect(shortDisplayName('\u200b\u2028')).toBeNull();
    });

    it('does not cut a character in half when shortening', () => {
      const name = shortDisplayName('😀'.repeat(100))!;
      expect(Array.from(name)).toHaveLength(MAX_DISPLAY_NAME_CHARS);
      expect(name).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    });
  });
});
