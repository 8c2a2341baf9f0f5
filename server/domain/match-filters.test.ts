import { describe, it, expect } from 'vitest';
import {
  BODY_MATCH_LIMIT,
  MATCH_RULES,
  MAX_MATCH_VALUE_LENGTH,
  NO_FILTER_MATCHED_NOTE,
  matchFilters,
  regexJobs,
  validateFilterCondition,
  validateFilterPattern,
  type CaseSettings,
  type FilterableMessage,
  type ProcessorFilterRule,
} from './match-filters';
import { testFilterRegex } from './filter-regex';

const defaults: CaseSettings = { caseTypeId: 'type-default', casePriorityId: 'prio-default', assignedToId: null, managedById: null };

const message: FilterableMessage = {
  fromAddress: 'jane.doe@customer.example',
  fromName: 'Jane Doe',
  to: ['Sales Team <sales@acme.example>', 'billing@acme.example'],
  cc: ['boss@customer.example'],
  subject: '  Invoice 2024-117 is wrong  ',
  body: 'Hello,\nthe invoice total is wrong.\nRegards, Jane',
  headers: { 'x-priority': ['1 (Highest)'], received: ['from a', 'from b'] },
};

function filter(overrides: Partial<ProcessorFilterRule> & { id: string }): ProcessorFilterRule {
  return {
    priority: 10,
    matchField: null,
    headerName: null,
    matchRule: null,
    matchValue: null,
    stopFiltering: false,
    caseTypeId: null,
    casePriorityId: null,
    assignedToId: null,
    managedById: null,
    ...overrides,
  };
}

function matches(condition: Partial<ProcessorFilterRule>, msg: FilterableMessage = message): boolean {
  const outcome = matchFilters(msg, [filter({ id: 'f', assignedToId: 'agent', ...condition })], defaults);
  return outcome.matchedFilterIds.includes('f');
}

describe('matchFilters', () => {
  describe('rules', () => {
    it('"contains" matches text anywhere in the field, ignoring letter case', () => {
      expect(matches({ matchField: 'subject', matchRule: 'contains', matchValue: 'INVOICE' })).toBe(true);
      expect(matches({ matchField: 'subject', matchRule: 'contains', matchValue: 'refund' })).toBe(false);
    });

    it('"does not contain" matches only when the text is absent', () => {
      expect(matches({ matchField: 'subject', matchRule: 'not_contains', matchValue: 'refund' })).toBe(true);
      expect(matches({ matchField: 'subject', matchRule: 'not_contains', matchValue: 'invoice' })).toBe(false);
    });

    it('"equals" compares the whole value, ignoring letter case and surrounding spaces', () => {
      expect(matches({ matchField: 'subject', matchRule: 'equals', matchValue: 'invoice 2024-117 IS WRONG' })).toBe(true);
      expect(matches({ matchField: 'subject', matchRule: 'equals', matchValue: 'invoice 2024-117' })).toBe(false);
    });

    it('"starts with" checks the beginning of the value', () => {
      expect(matches({ matchField: 'subject', matchRule: 'starts_with', matchValue: 'invoice' })).toBe(true);
      expect(matches({ matchField: 'subject', matchRule: 'starts_with', matchValue: 'wrong' })).toBe(false);
    });

    it('"ends with" checks the end of the value', () => {
      expect(matches({ matchField: 'from_address', matchRule: 'ends_with', matchValue: '@CUSTOMER.example' })).toBe(true);
      expect(matches({ matchField: 'from_address', matchRule: 'ends_with', matchValue: '@acme.example' })).toBe(false);
    });

    it('"matches regular expression" tests the pattern, ignoring letter case', () => {
      expect(matches({ matchField: 'subject', matchRule: 'regex', matchValue: '^invoice \\d{4}-\\d+' })).toBe(true);
      expect(matches({ matchField: 'subject', matchRule: 'regex', matchValue: '^order \\d+' })).toBe(false);
    });

    it('treats a regular expression as data, not code', () => {
      const msg = { ...message, subject: "It's `OK` ${now}" };
      expect(matches({ matchField: 'subject', matchRule: 'regex', matchValue: "it's `ok` \\$\\{now\\}" }, msg)).toBe(true);
    });
  });

  describe('fields', () => {
    it('compares the sender address and the sender name', () => {
      expect(matches({ matchField: 'from_address', matchRule: 'equals', matchValue: 'jane.doe@customer.example' })).toBe(true);
      expect(matches({ matchField: 'from_name', matchRule: 'equals', matchValue: 'jane doe' })).toBe(true);
      expect(matches({ matchField: 'from_name', matchRule: 'contains', matchValue: 'customer' })).toBe(false);
    });

    it('compares To recipients by address, also when written as "Name <addr>"', () => {
      expect(matches({ matchField: 'to', matchRule: 'equals', matchValue: 'sales@acme.example' })).toBe(true);
      expect(matches({ matchField: 'to', matchRule: 'equals', matchValue: 'billing@acme.example' })).toBe(true);
      expect(matches({ matchField: 'to', matchRule: 'contains', matchValue: 'Sales Team' })).toBe(false);
    });

    it('matches a positive rule on a list when any recipient matches', () => {
      expect(matches({ matchField: 'to', matchRule: 'starts_with', matchValue: 'billing' })).toBe(true);
      expect(matches({ matchField: 'to', matchRule: 'regex', matchValue: '^billing@' })).toBe(true);
    });

    it('matches "does not contain" on a list only when no recipient contains the text', () => {
      expect(matches({ matchField: 'to', matchRule: 'not_contains', matchValue: 'support@' })).toBe(true);
      expect(matches({ matchField: 'to', matchRule: 'not_contains', matchValue: 'billing@' })).toBe(false);
    });

    it('compares Cc recipients separately from To', () => {
      expect(matches({ matchField: 'cc', matchRule: 'contains', matchValue: 'boss@' })).toBe(true);
      expect(matches({ matchField: 'cc', matchRule: 'contains', matchValue: 'sales@' })).toBe(false);
    });

    it('treats an empty recipient list as containing nothing', () => {
      const noCc = { ...message, cc: [] };
      expect(matches({ matchField: 'cc', matchRule: 'contains', matchValue: '@' }, noCc)).toBe(false);
      expect(matches({ matchField: 'cc', matchRule: 'not_contains', matchValue: '@' }, noCc)).toBe(true);
    });

    it('searches the body', () => {
      expect(matches({ matchField: 'body', matchRule: 'contains', matchValue: 'TOTAL IS WRONG' })).toBe(true);
      expect(matches({ matchField: 'body', matchRule: 'regex', matchValue: 'total.*wrong' })).toBe(true);
    });

    it('searches only the first 100,000 characters of the body', () => {
      const padding = 'x'.repeat(BODY_MATCH_LIMIT - 'needle'.length);
      expect(matches({ matchField: 'body', matchRule: 'contains', matchValue: 'needle' }, { ...message, body: `${padding}needle` })).toBe(true);
      expect(matches({ matchField: 'body', matchRule: 'contains', matchValue: 'needle' }, { ...message, body: `${padding}xneedle` })).toBe(false);
    });

    it('compares a named header, whatever the letter case of its name', () => {
      expect(matches({ matchField: 'header', headerName: 'X-Priority', matchRule: 'starts_with', matchValue: '1' })).toBe(true);
      expect(matches({ matchField: 'header', headerName: ' x-priority ', matchRule: 'contains', matchValue: 'highest' })).toBe(true);
      expect(matches({ matchField: 'header', headerName: 'X-Priority', matchRule: 'equals', matchValue: '3' })).toBe(false);
    });

    it('matches a header that occurs several times when any of its values match', () => {
      expect(matches({ matchField: 'header', headerName: 'Received', matchRule: 'equals', matchValue: 'from b' })).toBe(true);
      expect(matches({ matchField: 'header', headerName: 'Received', matchRule: 'not_contains', matchValue: 'from a' })).toBe(false);
    });

    it('treats an absent header as containing nothing', () => {
      expect(matches({ matchField: 'header', headerName: 'X-Spam-Flag', matchRule: 'contains', matchValue: 'yes' })).toBe(false);
      expect(matches({ matchField: 'header', headerName: 'X-Spam-Flag', matchRule: 'not_contains', matchValue: 'yes' })).toBe(true);
    });
  });

  describe('conditions', () => {
    it('lets a filter without a condition match every message', () => {
      expect(matches({})).toBe(true);
      expect(matches({ matchField: 'subject', matchRule: null, matchValue: 'anything' })).toBe(true);
      expect(matches({ matchField: null, matchRule: 'equals', matchValue: 'anything' })).toBe(true);
    });

    it('lets a condition without a value match nothing', () => {
      expect(matches({ matchField: 'subject', matchRule: 'contains', matchValue: null })).toBe(false);
      expect(matches({ matchField: 'subject', matchRule: 'contains', matchValue: '' })).toBe(false);
      expect(matches({ matchField: 'subject', matchRule: 'not_contains', matchValue: '' })).toBe(false);
    });

    it('lets a header condition without a header name match nothing', () => {
      expect(matches({ matchField: 'header', headerName: null, matchRule: 'not_contains', matchValue: 'x' })).toBe(false);
      expect(matches({ matchField: 'header', headerName: '  ', matchRule: 'not_contains', matchValue: 'x' })).toBe(false);
    });
  });

  describe('running the filters', () => {
    it('uses the system defaults and says so when no filter matches', () => {
      const outcome = matchFilters(message, [filter({ id: 'f', matchField: 'subject', matchRule: 'contains', matchValue: 'refund', caseTypeId: 'type-refund' })], defaults);
      expect(outcome).toEqual({ settings: defaults, matchedFilterIds: [], timedOutFilterIds: [], invalidFilterIds: [], note: NO_FILTER_MATCHED_NOTE });
    });

    it('uses the system defaults when the processor has no filters', () => {
      const outcome = matchFilters(message, [], defaults);
      expect(outcome.settings).toEqual(defaults);
      expect(outcome.note).toBe(NO_FILTER_MATCHED_NOTE);
    });

    it('sets the case fields a matching filter names and keeps the defaults for the others', () => {
      const outcome = matchFilters(message, [filter({ id: 'f', caseTypeId: 'type-billing', assignedToId: 'agent-1' })], defaults);
      expect(outcome.settings).toEqual({ caseTypeId: 'type-billing', casePriorityId: 'prio-default', assignedToId: 'agent-1', managedById: null });
      expect(outcome.matchedFilterIds).toEqual(['f']);
      expect(outcome.note).toBeNull();
    });

    it('runs filters in ascending priority, so the later match overrides the earlier one', () => {
      const outcome = matchFilters(
        message,
        [
          filter({ id: 'late', priority: 20, assignedToId: 'agent-late' }),
          filter({ id: 'early', priority: 5, assignedToId: 'agent-early', managedById: 'manager-early' }),
        ],
        defaults,
      );
      expect(outcome.matchedFilterIds).toEqual(['early', 'late']);
      expect(outcome.settings.assignedToId).toBe('agent-late');
      expect(outcome.settings.managedById).toBe('manager-early');
    });

    it('orders filters of equal priority by id', () => {
      const outcome = matchFilters(message, [filter({ id: 'b', assignedToId: 'agent-b' }), filter({ id: 'a', assignedToId: 'agent-a' })], defaults);
      expect(outcome.matchedFilterIds).toEqual(['a', 'b']);
      expect(outcome.settings.assignedToId).toBe('agent-b');
    });

    it('skips the fields a later filter leaves empty', () => {
      const outcome = matchFilters(
        message,
        [filter({ id: 'first', priority: 1, casePriorityId: 'prio-high' }), filter({ id: 'second', priority: 2, caseTypeId: 'type-billing' })],
        defaults,
      );
      expect(outcome.settings).toMatchObject({ casePriorityId: 'prio-high', caseTypeId: 'type-billing' });
    });

    it('ends the run after a matching filter with "stop filtering"', () => {
      const outcome = matchFilters(
        message,
        [
          filter({ id: 'stop', priority: 1, matchField: 'subject', matchRule: 'contains', matchValue: 'invoice', stopFiltering: true, assignedToId: 'billing-agent' }),
          filter({ id: 'catch-all', priority: 99, assignedToId: 'front-desk' }),
        ],
        defaults,
      );
      expect(outcome.matchedFilterIds).toEqual(['stop']);
      expect(outcome.settings.assignedToId).toBe('billing-agent');
    });

    it('does not stop at a "stop filtering" filter that did not match', () => {
      const outcome = matchFilters(
        message,
        [
          filter({ id: 'stop', priority: 1, matchField: 'subject', matchRule: 'contains', matchValue: 'refund', stopFiltering: true, assignedToId: 'refunds' }),
          filter({ id: 'catch-all', priority: 99, assignedToId: 'front-desk' }),
        ],
        defaults,
      );
      expect(outcome.matchedFilterIds).toEqual(['catch-all']);
      expect(outcome.settings.assignedToId).toBe('front-desk');
    });
  });

  describe('regular expressions that would run away on a backtracking engine', () => {
    const evil = { ...message, subject: `${'a'.repeat(35)}!`, body: `${'a'.repeat(30_000)}!` };

    it('evaluates ten `^(a+)+$` filters over a 30 KB body in linear time, as no match', () => {
      const started = performance.now();
      const outcome = matchFilters(
        evil,
        Array.from({ length: 10 }, (_, i) => filter({ id: `evil-${i}`, priority: i, matchField: 'body', matchRule: 'regex', matchValue: '^(a+)+$', assignedToId: 'never' })),
        defaults,
      );
      expect(performance.now() - started).toBeLessThan(1000);
      expect(outcome.matchedFilterIds).toEqual([]);
      expect(outcome.timedOutFilterIds).toEqual([]);
    });

    it('takes the verdicts it is given, and counts a regex without one as out of time', () => {
      const outcome = matchFilters(
        evil,
        [
          filter({ id: 'evil', priority: 1, matchField: 'subject', matchRule: 'regex', matchValue: '(a+)+$', assignedToId: 'never' }),
          filter({ id: 'sane', priority: 2, matchField: 'subject', matchRule: 'regex', matchValue: 'no such text', casePriorityId: 'prio-sane' }),
          filter({ id: 'after', priority: 3, matchField: 'subject', matchRule: 'contains', matchValue: 'aaa!', caseTypeId: 'type-after' }),
        ],
        defaults,
        { regexVerdicts: new Map([['sane', 'match']]), regexBudgetMs: 500 },
      );
      expect(outcome.timedOutFilterIds).toEqual(['evil']);
      expect(outcome.matchedFilterIds).toEqual(['sane', 'after']);
      expect(outcome.settings).toMatchObject({ assignedToId: null, casePriorityId: 'prio-sane', caseTypeId: 'type-after' });
      expect(outcome.note).toContain("ran out of the message's time budget of 500 ms");
    });

    it('counts a regular expression that does not compile as no match and reports it', () => {
      const outcome = matchFilters(message, [filter({ id: 'broken', matchField: 'subject', matchRule: 'regex', matchValue: '(unclosed' })], defaults);
      expect(outcome.invalidFilterIds).toEqual(['broken']);
      expect(outcome.matchedFilterIds).toEqual([]);
      expect(outcome.note).toContain(NO_FILTER_MATCHED_NOTE);
      expect(outcome.note).toContain('is not valid');
    });
  });

  describe('regexJobs', () => {
    it('lists the regex conditions in filter order, each field’s lowered values once', () => {
      const work = regexJobs(message, [
        filter({ id: 'b', priority: 20, matchField: 'subject', matchRule: 'regex', matchValue: 'invoice \\d+' }),
        filter({ id: 'a', priority: 10, matchField: 'subject', matchRule: 'regex', matchValue: '^invoice' }),
        filter({ id: 'c', priority: 30, matchField: 'header', headerName: 'X-Priority', matchRule: 'regex', matchValue: '^1' }),
        filter({ id: 'd', priority: 40, matchField: 'subject', matchRule: 'contains', matchValue: 'invoice' }),
      ]);
      expect(work.jobs.map((j) => j.filterId)).toEqual(['a', 'b', 'c']);
      expect(work.jobs[0].valuesKey).toBe(work.jobs[1].valuesKey);
      expect(work.values[work.jobs[0].valuesKey]).toEqual(['invoice 2024-117 is wrong']);
      expect(work.values[work.jobs[2].valuesKey]).toEqual(['1 (highest)']);
    });

    it('gives the same verdicts on a thread as matchFilters does here', () => {
      const filters = [
        filter({ id: 'yes', matchField: 'to', matchRule: 'regex', matchValue: '^sales@' }),
        filter({ id: 'no', matchField: 'body', matchRule: 'regex', matchValue: '^regards' }),
      ];
      const work = regexJobs(message, filters);
      const verdicts = new Map(work.jobs.map((j) => [j.filterId, testFilterRegex(j.pattern, work.values[j.valuesKey])] as const));
      expect(matchFilters(message, filters, defaults, { regexVerdicts: verdicts }).matchedFilterIds).toEqual(
        matchFilters(message, filters, defaults).matchedFilterIds,
      );
      expect(verdicts).toEqual(new Map([['yes', 'match'], ['no', 'no_match']]));
    });
  });
});

describe('validateFilterPattern', () => {
  it('accepts anything when there is no rule', () => {
    expect(validateFilterPattern(null, null)).toBeNull();
  });

  it('requires a value for every rule', () => {
    for (const rule of MATCH_RULES) {
      expect(validateFilterPattern(rule, null), rule).toBe('Enter a value to match.');
      expect(validateFilterPattern(rule, '   '), rule).toBe('Enter a value to match.');
    }
  });

  it(`rejects values longer than ${MAX_MATCH_VALUE_LENGTH} characters`, () => {
    expect(validateFilterPattern('contains', 'x'.repeat(MAX_MATCH_VALUE_LENGTH))).toBeNull();
    expect(validateFilterPattern('regex', 'x'.repeat(MAX_MATCH_VALUE_LENGTH + 1))).toMatch(/500 characters/);
  });

  it('explains why a regular expression does not compile', () => {
    expect(validateFilterPattern('regex', '(unclosed')).toBe('This is not a valid regular expression: missing ): (unclosed.');
    expect(validateFilterPattern('regex', '[z-a]')).toMatch(/^This is not a valid regular expression: invalid character class range/);
  });

  it('refuses patterns whose matching time cannot be bounded, saying why in plain words', () => {
    expect(validateFilterPattern('regex', '(a)\\1')).toMatch(/^References back to an earlier group .* are not supported/);
    expect(validateFilterPattern('regex', '(?<n>a)\\k<n>')).toMatch(/^References back to an earlier group/);
    for (const lookaround of ['foo(?=bar)', 'foo(?!bar)', '(?<=foo)bar', '(?<!foo)bar']) {
      expect(validateFilterPattern('regex', lookaround), lookaround).toMatch(/^Look-ahead and look-behind .* are not supported/);
    }
    expect(validateFilterPattern('regex', 'a{1001}')).toMatch(/^This pattern repeats too much/);
    expect(validateFilterPattern('regex', '((a{100}){100}){100}')).toMatch(/^This pattern repeats too much/);
  });

  it('accepts the catastrophic-on-V8 `^(a+)+$`: on RE2 it runs in linear time', () => {
    expect(validateFilterPattern('regex', '^(a+)+$')).toBeNull();
  });

  it('accepts a valid regular expression, and regex syntax under other rules', () => {
    expect(validateFilterPattern('regex', '^invoice \\d+$')).toBeNull();
    expect(validateFilterPattern('contains', '(unclosed')).toBeNull();
  });
});

describe('validateFilterCondition', () => {
  it('accepts a filter without a condition', () => {
    expect(validateFilterCondition({ matchField: null, headerName: null, matchRule: null, matchValue: null })).toEqual({});
  });

  it('accepts a complete condition', () => {
    expect(validateFilterCondition({ matchField: 'header', headerName: 'X-Priority', matchRule: 'equals', matchValue: '1' })).toEqual({});
  });

  it('asks for the rule when only the field is set, and for the field when only the rule is set', () => {
    expect(validateFilterCondition({ matchField: 'subject', headerName: null, matchRule: null, matchValue: null })).toEqual({
      matchRule: expect.stringContaining('Choose how to match'),
    });
    expect(validateFilterCondition({ matchField: null, headerName: null, matchRule: 'contains', matchValue: 'x' })).toEqual({
      matchField: expect.stringContaining('Choose the field'),
    });
  });

  it('asks for a header name, and refuses one with spaces or a colon', () => {
    expect(validateFilterCondition({ matchField: 'header', headerName: ' ', matchRule: 'contains', matchValue: 'x' })).toEqual({
      headerName: expect.stringContaining('Enter the name of the header'),
    });
    expect(validateFilterCondition({ matchField: 'header', headerName: 'X-Priority:', matchRule: 'contains', matchValue: 'x' })).toHaveProperty('headerName');
    expect(validateFilterCondition({ matchField: 'header', headerName: 'X Priority', matchRule: 'contains', matchValue: 'x' })).toHaveProperty('headerName');
  });

  it('puts value problems on the value field', () => {
    expect(validateFilterCondition({ matchField: 'subject', headerName: null, matchRule: 'regex', matchValue: '(' })).toEqual({
      matchValue: 'This is not a valid regular expression: missing ): (.',
    });
  });
});
