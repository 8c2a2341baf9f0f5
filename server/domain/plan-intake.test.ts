import { describe, expect, it } from 'vitest';
import type { FilterableMessage, ProcessorFilterRule } from './match-filters';
import { type IntakeFacts, type IntakeItem, type IntakeSettings, planIntakeRound } from './plan-intake';

const settings: IntakeSettings = {
  filters: [],
  defaults: { caseTypeId: 'type-general', casePriorityId: 'priority-normal', assignedToId: null, managedById: null },
};

function noFacts(): IntakeFacts {
  return { casesByNumber: new Map(), referenceHits: [], storedByMessageId: [], contactsByAddress: new Map() };
}

function item(overrides: Partial<IntakeItem> = {}): IntakeItem {
  const from = overrides.from === undefined ? { address: 'kim@customer.example', name: 'Kim Lee' } : overrides.from;
  const filterable: FilterableMessage = {
    fromAddress: from?.address ?? '',
    fromName: from?.name ?? '',
    to: [],
    cc: [],
    subject: overrides.subject ?? 'Help',
    body: '',
    headers: {},
  };
  return {
    messageId: null,
    subject: 'Help',
    inReplyTo: null,
    references: [],
    from,
    sha256: 'aa',
    alone: false,
    filterable: () => filterable,
    ...overrides,
  };
}

function ids(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

describe('planIntakeRound', () => {
  it('plans a new case with the default settings and a new contact for a first mail', () => {
    const [plan] = planIntakeRound([item({ messageId: 'a@x' })], noFacts(), settings, ids());
    expect(plan).toMatchObject({
      kind: 'new',
      settings: settings.defaults,
      contact: { kind: 'create', values: { firstName: 'Kim', lastName: 'Lee', email: 'kim@customer.example' } },
      messageNote: null,
    });
    if (plan!.kind !== 'new') throw new Error('expected a new case');
    expect(plan!.caseNotes).toEqual(['No filter matched; system defaults used.']);
  });

  it('applies the filters to a new case', () => {
    const filter: ProcessorFilterRule = {
      id: 'f1',
      priority: 0,
      matchField: 'subject',
      headerName: null,
      matchRule: 'contains',
      matchValue: 'invoice',
      stopFiltering: true,
      caseTypeId: 'type-billing',
      casePriorityId: null,
      assignedToId: 'agent-1',
      managedById: null,
    };
    const [plan] = planIntakeRound([item({ subject: 'Invoice 42' })], noFacts(), { ...settings, filters: [filter] }, ids());
    expect(plan).toMatchObject({ kind: 'new', settings: { caseTypeId: 'type-billing', assignedToId: 'agent-1' } });
  });

  it('plans the whole round when nothing depends on what the round writes', () => {
    const items = [item({ messageId: 'a@x' }), item({ messageId: 'b@x', from: { address: 'ola@else.example', name: '' } }), item({ messageId: 'c@x' })];
    const plans = planIntakeRound(items, noFacts(), settings, ids());
    expect(plans.map((p) => p.kind)).toEqual(['new', 'new', 'new']);
  });

  it('creates one contact for two first mails of a sender in the same round', () => {
    const plans = planIntakeRound([item({ messageId: 'a@x' }), item({ messageId: 'b@x', from: { address: 'KIM@customer.example', name: 'Kim Lee' } })], noFacts(), settings, ids());
    const [first, second] = plans;
    if (first!.kind !== 'new' || second!.kind !== 'new') throw new Error('expected new cases');
    expect(first!.contact.kind).toBe('create');
    const created = first!.contact.kind === 'create' ? first!.contact.contactId : null;
    expect(second!.contact).toEqual({ kind: 'existing', contactId: created });
  });

  it('links a stored contact by address', () => {
    const facts = noFacts();
    facts.contactsByAddress.set('kim@customer.example', [
      { id: 'contact-kim', firstName: 'Kim', lastName: 'Lee', email: 'Kim@Customer.example', createdAt: new Date('2026-01-01') },
    ]);
    const [plan] = planIntakeRound([item()], facts, settings, ids());
    expect(plan).toMatchObject({ kind: 'new', contact: { kind: 'existing', contactId: 'contact-kim' } });
  });

  it('opens a case without a contact, and says why, when the sender has no usable address', () => {
    const [none, bad] = [
      planIntakeRound([item({ from: null })], noFacts(), settings, ids())[0],
      planIntakeRound([item({ from: { address: 'MAILER-DAEMON', name: '' } })], noFacts(), settings, ids())[0],
    ];
    expect(none).toMatchObject({ kind: 'new', contact: { kind: 'none' }, caseNotes: expect.arrayContaining([expect.stringMatching(/no sender address/)]) });
    const long = planIntakeRound([item({ from: { address: `${'x'.repeat(400)}@customer.example`, name: '' } })], noFacts(), settings, ids())[0];
    expect(long).toMatchObject({ kind: 'new', contact: { kind: 'none' }, caseNotes: expect.arrayContaining([expect.stringMatching(/417 characters long/)]) });
    expect(bad).toMatchObject({ kind: 'new', contact: { kind: 'none' }, caseNotes: expect.arrayContaining([expect.stringMatching(/"MAILER-DAEMON" is not an email address/)]) });
  });

  it('appends a reply to a message planned earlier in the same round', () => {
    const plans = planIntakeRound([item({ messageId: 'first@x' }), item({ messageId: 'reply@x', inReplyTo: 'first@x', references: ['first@x'] })], noFacts(), settings, ids());
    const [first, reply] = plans;
    if (first!.kind !== 'new') throw new Error('expected a new case');
    expect(reply).toEqual({ kind: 'append', caseId: first!.caseId, reason: 'reference', messageNote: null });
  });

  it('appends a reply to a stored case by tag and by reference', () => {
    const facts = noFacts();
    facts.casesByNumber.set(1234, 'case-1234');
    facts.referenceHits.push({ messageId: 'old@x', caseId: 'case-old' });
    const plans = planIntakeRound([item({ subject: 'Re: [LC0001234] Help' }), item({ inReplyTo: 'old@x' })], facts, settings, ids());
    expect(plans).toEqual([
      { kind: 'append', caseId: 'case-1234', reason: 'tag', messageNote: null },
      { kind: 'append', caseId: 'case-old', reason: 'reference', messageNote: null },
    ]);
  });

  it('skips the same mail already stored (same Message-ID and bytes) and notes a reused Message-ID', () => {
    const facts = noFacts();
    facts.storedByMessageId.push({ messageId: 'dup@x', caseMessageId: 'message-1', caseNumber: 7, sha256: 'bytes-1' });
    const [same] = planIntakeRound([item({ messageId: 'dup@x', sha256: 'bytes-1' })], facts, settings, ids());
    const [reused] = planIntakeRound([item({ messageId: 'dup@x', sha256: 'bytes-2' })], facts, settings, ids());
    expect(same).toEqual({ kind: 'same-mail', caseMessageId: 'message-1' });
    expect(reused).toMatchObject({ kind: 'new', messageNote: expect.stringMatching(/already used by a different message .*LC0000007/) });
  });

  describe('ends the round before a message whose outcome depends on what the round writes', () => {
    it('a message flagged alone, or a round that began with one', () => {
      expect(planIntakeRound([item(), item({ alone: true })], noFacts(), settings, ids())).toHaveLength(1);
      expect(planIntakeRound([item({ alone: true }), item()], noFacts(), settings, ids())).toHaveLength(1);
    });

    it('a Message-ID planned earlier in the round', () => {
      const plans = planIntakeRound([item({ messageId: 'a@x' }), item({ messageId: 'b@x' }), item({ messageId: 'a@x' })], noFacts(), settings, ids());
      expect(plans).toHaveLength(2);
    });

    it('a tag that names no stored case (the round may hand out that number)', () => {
      const plans = planIntakeRound([item(), item({ subject: '[LC0000042] Re: Help' })], noFacts(), settings, ids());
      expect(plans).toHaveLength(1);
    });

    it('a reference both stored and planned in this round', () => {
      const facts = noFacts();
      facts.referenceHits.push({ messageId: 'a@x', caseId: 'case-stored' });
      const plans = planIntakeRound([item({ messageId: 'a@x' }), item({ inReplyTo: 'a@x' })], facts, settings, ids());
      expect(plans).toHaveLength(1);
    });

    it('but always plans the first message', () => {
      const plans = planIntakeRound([item({ alone: true, subject: '[LC0000042] Re: Help' })], noFacts(), settings, ids());
      expect(plans).toMatchObject([{ kind: 'new', messageNote: expect.stringMatching(/LC0000042, which is not a case/) }]);
    });
  });

  it('reports the rule that was running when one throws', () => {
    const progress = { stage: 'thread' as const } as { stage: 'thread' | 'filters' | 'contact' };
    const broken = item({
      filterable: () => {
        throw new Error('boom');
      },
    });
    expect(() => planIntakeRound([broken], noFacts(), settings, ids(), progress)).toThrow('boom');
    expect(progress.stage).toBe('filters');
  });
});
