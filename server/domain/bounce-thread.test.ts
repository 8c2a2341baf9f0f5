import { describe, expect, it } from 'vitest';
import { bounceSummary, threadHeadersOf } from './bounce-thread';
import type { DeliveryReport } from './delivery-status';

const report = (over: Partial<DeliveryReport> = {}): DeliveryReport => ({
  reportingMta: 'mx.example.net',
  arrivalDate: null,
  recipients: [{ finalRecipient: 'jane@customer.example', originalRecipient: null, action: 'failed', status: '5.1.1', diagnosticCode: '550 5.1.1 User unknown', remoteMta: null }],
  originalMessageId: 'reply.1@support.example',
  originalReferences: ['first@customer.example'],
  originalSubject: '[LC0000001] Re: Help',
  ...over,
});

describe('a bounce in the thread', () => {
  it('threads by the returned message: its Message-ID first, then its References', () => {
    expect(threadHeadersOf({ inReplyTo: null, references: [], deliveryReport: report() })).toEqual({
      inReplyTo: 'reply.1@support.example',
      references: ['first@customer.example', 'reply.1@support.example'],
    });
  });

  it('leaves ordinary mail as it is', () => {
    expect(threadHeadersOf({ inReplyTo: 'a@x', references: ['b@x'], deliveryReport: null })).toEqual({ inReplyTo: 'a@x', references: ['b@x'] });
  });

  it('says which recipient failed with the status and the server words, and nothing for a delay', () => {
    expect(bounceSummary(report())).toEqual({ recipient: 'jane@customer.example', status: '5.1.1', diagnostic: '550 5.1.1 User unknown' });
    const delayed = report({ recipients: [{ finalRecipient: 'jane@customer.example', originalRecipient: null, action: 'delayed', status: '4.4.1', diagnosticCode: null, remoteMta: null }] });
    expect(bounceSummary(delayed)).toBeNull();
  });
});
