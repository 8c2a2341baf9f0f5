import { describe, expect, it } from 'vitest';
import { cleanSubject, MAX_REFERENCES, newMessageId, replyHeaders, replySubject, threadingFor } from './reply-headers';

describe('the subject of a reply', () => {
  it('is "[LC0001234] Re: …" with earlier tags and reply prefixes taken off', () => {
    expect(replySubject('Printer on fire', 1234)).toBe('[LC0001234] Re: Printer on fire');
    expect(replySubject('RE: [LC0001234] Re: Printer on fire', 1234)).toBe('[LC0001234] Re: Printer on fire');
    expect(replySubject('AW: Sv: Fwd: Rechnung', 7)).toBe('[LC0000007] Re: Rechnung');
    expect(replySubject('', 7)).toBe('[LC0000007] Re: your message');
  });

  it('keeps what the agent typed, puts the tag back when it was removed, and cannot carry a line break', () => {
    expect(cleanSubject('Your refund', 'Printer', 5)).toBe('[LC0000005] Your refund');
    expect(cleanSubject('[LC0000005] Your refund', 'Printer', 5)).toBe('[LC0000005] Your refund');
    expect(cleanSubject('Hi\r\nBcc: victim@example.com', 'Printer', 5)).toBe('[LC0000005] Hi Bcc: victim@example.com');
    expect(cleanSubject('   ', 'Printer', 5)).toBe('[LC0000005] Re: Printer');
  });
});

describe('the threading headers of a reply', () => {
  it('answer the message: In-Reply-To is its Message-ID, References its References then its Message-ID (RFC 5322 3.6.4)', () => {
    const t = threadingFor({ messageId: 'c@x', references: ['a@x', 'b@x'] });
    expect(t).toEqual({ inReplyTo: 'c@x', references: ['a@x', 'b@x', 'c@x'] });
    expect(replyHeaders('ours@support.example', t)).toEqual({
      'Message-ID': '<ours@support.example>',
      'In-Reply-To': '<c@x>',
      References: '<a@x> <b@x> <c@x>',
    });
  });

  it('keep the thread root and the most recent ids of a long thread', () => {
    const refs = Array.from({ length: 50 }, (_, i) => `m${i}@x`);
    const t = threadingFor({ messageId: 'last@x', references: refs });
    expect(t.references).toHaveLength(MAX_REFERENCES);
    expect(t.references[0]).toBe('m0@x');
    expect(t.references.at(-1)).toBe('last@x');
    expect(t.references.at(-2)).toBe('m49@x');
  });

  it('drop ids that could break out of the header instead of repairing them', () => {
    const t = threadingFor({ messageId: 'ok@x', references: ['bad>\r\nBcc: x@y', 'fine@x'] });
    expect(t.references).toEqual(['fine@x', 'ok@x']);
    expect(threadingFor({ messageId: 'a>b@x', references: [] })).toEqual({ inReplyTo: null, references: [] });
  });

  it('has no In-Reply-To when the answered message had no Message-ID', () => {
    expect(replyHeaders('ours@x.example', threadingFor({ messageId: null, references: [] }))).toEqual({ 'Message-ID': '<ours@x.example>' });
  });

  it('gets a fresh Message-ID in the mailbox domain', () => {
    expect(newMessageId('Support@Example.COM', () => 'r1')).toBe('reply.r1@example.com');
    expect(newMessageId('weird', () => 'r1')).toBe('reply.r1@leopard.invalid');
  });
});
