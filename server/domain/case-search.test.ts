import { describe, expect, it } from 'vitest';
import { containsPattern, parseCaseSearch, parseHighlight, searchTerms, termNeedsPhraseCheck } from './case-search';

describe('parseCaseSearch', () => {
  it('searches only the case number for LC0001234, [LC0001234] and lc0001234', () => {
    for (const term of ['LC0001234', '[LC0001234]', 'lc0001234', '  LC0001234 ']) {
      expect(parseCaseSearch(term)).toMatchObject({ caseNumber: 1234, exact: true });
    }
  });

  it('reads bare digits as a case number and still searches them as text', () => {
    expect(parseCaseSearch('1234')).toEqual({ caseNumber: 1234, text: '1234', exact: false, terms: ['1234'] });
    expect(parseCaseSearch('0001234')).toEqual({ caseNumber: 1234, text: '0001234', exact: false, terms: ['0001234'] });
  });

  it('treats words and addresses as text only', () => {
    expect(parseCaseSearch('invoice 12')).toEqual({ caseNumber: null, text: 'invoice 12', exact: false, terms: ['invoice', '12'] });
    expect(parseCaseSearch('jane@example.com')).toEqual({ caseNumber: null, text: 'jane@example.com', exact: false, terms: ['jane@example.com'] });
  });

  it('searches nothing for an empty or blank term', () => {
    for (const term of ['', '   ', undefined]) expect(parseCaseSearch(term)).toEqual({ caseNumber: null, text: null, exact: false, terms: [] });
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

describe('searchTerms', () => {
  it('keeps a quoted phrase together and splits the rest into words', () => {
    expect(searchTerms('invoice "late  payment" march')).toEqual(['invoice', 'late payment', 'march']);
  });

  it('drops terms of punctuation only and repeated terms', () => {
    expect(searchTerms('% _ -- invoice invoice')).toEqual(['invoice']);
  });

  it('reads an unclosed quote as a phrase to the end', () => {
    expect(searchTerms('"late payment')).toEqual(['late payment']);
  });
});

describe('termNeedsPhraseCheck', () => {
  it('lets a plain word in any script be answered by the case index alone', () => {
    for (const term of ['invoice', 'résumé', 'Straße', '2024', 'счёт']) expect(termNeedsPhraseCheck(term)).toBe(false);
  });

  it('checks phrases, addresses and CJK words against the messages', () => {
    for (const term of ['late payment', 'jane@customer', 'e-mail', '東京', 'カタカナ']) expect(termNeedsPhraseCheck(term)).toBe(true);
  });
});

describe('parseHighlight', () => {
  it('splits ts_headline output at its marks into plain text pieces', () => {
    expect(parseHighlight('Your \u0002résumé\u0003 is <b>ready</b>')).toEqual([
      { text: 'Your ', match: false },
      { text: 'résumé', match: true },
      { text: ' is <b>ready</b>', match: false },
    ]);
  });

  it('joins a CJK word marked one character at a time and drops the separators', () => {
    expect(parseHighlight('私\u0001は\u0001\u0002東\u0003\u0001\u0002京\u0003\u0001に')).toEqual([
      { text: '私は', match: false },
      { text: '東京', match: true },
      { text: 'に', match: false },
    ]);
  });

  it('turns line breaks and runs of spaces into one space', () => {
    expect(parseHighlight('  first\n\n  line \u0002word\u0003  ')).toEqual([
      { text: 'first line ', match: false },
      { text: 'word', match: true },
    ]);
  });

  it('gives nothing for no headline', () => {
    expect(parseHighlight(null)).toEqual([]);
  });
});
