import { describe, expect, it } from 'vitest';
import { checkFilterRegex, testFilterRegex } from './filter-regex';

describe('filter regular expressions on RE2', () => {
  it('matches case-insensitively, with ^ and $ anchoring the whole value', () => {
    expect(testFilterRegex('^INVOICE \\d+$', ['invoice 42'])).toBe('match');
    expect(testFilterRegex('^invoice$', ['invoice\nmore'])).toBe('no_match');
    expect(testFilterRegex('ärger', ['ÄRGER mit der Rechnung'])).toBe('match');
  });

  it('matches when any of the values does', () => {
    expect(testFilterRegex('^sales@', ['billing@acme.example', 'sales@acme.example'])).toBe('match');
    expect(testFilterRegex('^sales@', [])).toBe('no_match');
  });

  it('reports a pattern that does not compile as invalid instead of throwing', () => {
    expect(testFilterRegex('(unclosed', ['x'])).toBe('invalid');
    expect(checkFilterRegex('(unclosed')).toMatch(/^This is not a valid regular expression/);
  });

  it('frees every pattern it compiles, so 10,000 evaluations do not exhaust RE2’s fixed heap', () => {
    // Without freeing, re2-wasm's 16 MB heap ran out after about 8,000 such patterns and aborted.
    for (let i = 0; i < 10_000; i++) if (testFilterRegex(`x${i}`, ['hello']) !== 'no_match') throw new Error(`pattern ${i}`);
  }, 20_000);
});
