import { describe, expect, it } from 'vitest';
import { chooseSender, isUsableAddress, MAX_ADDRESS_CHARS } from './choose-sender';

const a = (address: string, name = '') => ({ address, name });

describe('chooseSender', () => {
  it('takes From when it has a usable address', () => {
    expect(chooseSender({ from: [a('jane@customer.example', 'Jane')], sender: [a('bot@relay.example')], replyTo: [] })).toEqual({
      sender: a('jane@customer.example', 'Jane'),
      source: 'from',
    });
  });

  it('takes the first usable address of all From headers, in order', () => {
    expect(chooseSender({ from: [a(''), a('undisclosed'), a('jane@customer.example')], sender: [], replyTo: [] }).sender).toEqual(a('jane@customer.example'));
  });

  it('falls back to Sender, then to Reply-To', () => {
    expect(chooseSender({ from: [a('', 'Mail Delivery System')], sender: [a('desk@customer.example')], replyTo: [a('r@customer.example')] })).toEqual({
      sender: a('desk@customer.example'),
      source: 'sender',
    });
    expect(chooseSender({ from: [], sender: [a('MAILER-DAEMON')], replyTo: [a('r@customer.example')] })).toEqual({
      sender: a('r@customer.example'),
      source: 'reply_to',
    });
  });

  it('keeps an unusable From as written when no header has a usable address, so the contact rule can say why', () => {
    expect(chooseSender({ from: [a('MAILER-DAEMON', 'Mail Delivery Subsystem')], sender: [], replyTo: [] })).toEqual({
      sender: a('MAILER-DAEMON', 'Mail Delivery Subsystem'),
      source: 'from',
    });
  });

  it('says none when no header has any address', () => {
    expect(chooseSender({ from: [a('')], sender: [], replyTo: [] })).toEqual({ sender: null, source: 'none' });
  });
});

describe('isUsableAddress', () => {
  it('wants one @ with something on both sides, no spaces, at most 320 characters', () => {
    expect(isUsableAddress('jane@customer.example')).toBe(true);
    expect(isUsableAddress('MAILER-DAEMON')).toBe(false);
    expect(isUsableAddress('jane doe@customer.example')).toBe(false);
    expect(isUsableAddress(`${'x'.repeat(MAX_ADDRESS_CHARS)}@y.example`)).toBe(false);
  });
});
