import { describe, expect, it } from 'vitest';
import { containsPattern, parseCaseSearch } from './case-search';

describe('parseCaseSearch', () => {
  it('searches only the case number for LC0001234, [LC0001234] and lc0001234', () => {
    for (const term of ['LC0001234', '[LC0001234]', 'lc0001234', '  LC0001234 ']) {
      expect(parseCaseSearch(term)).toMatchObject({ caseNumber: 1234, exact: true });
    }
  });

  it('reads bare digits as a case number and still searches them as text', () => {
    expect(parseCaseSearch('1234')).toEqual({ caseNumber: 1234, text: '1234', exact: false });
    expect(parseCaseSearch('0001234')).toEqual({ caseNumber: 1234, text: '0001234', exact: false });
  });

  it('treats words and addresses as text only', () => {
    expect(parseCaseSearch('invoice 12')).toEqual({ caseNumber: null, text: 'invoice 12', exact: false });
    expect(parseCaseSearch('jane@example.com')).toEqual({ caseNumber: null, text: 'jane@example.com', exact: false });
  });

  it('searches nothing for an empty or blank term', () => {
    for (const term of ['', '   ', undefined]) expect(parseCaseSearch(term)).toEqual({ caseNumber: null, text: null, exact: false });
  });

  it('ignores numbers too large to name a case', () => {
    expect(parseCaseSearch('9999999999').caseNumber).toBeNull();
  });
});

describe('containsPattern', () => {
  it('makes the user’s % and _ literal', () => {
    expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
