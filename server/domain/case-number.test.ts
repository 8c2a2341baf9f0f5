import { describe, it, expect } from 'vitest';
import { MAX_CASE_NUMBER, formatCaseNumber, parseCaseNumber } from './case-number';

describe('formatCaseNumber', () => {
  it('pads the number to seven digits after LC', () => {
    expect(formatCaseNumber(1234)).toBe('LC0001234');
    expect(formatCaseNumber(1)).toBe('LC0000001');
  });

  it('prints every digit of numbers that need more than seven', () => {
    expect(formatCaseNumber(9_999_999)).toBe('LC9999999');
    expect(formatCaseNumber(12_345_678)).toBe('LC12345678');
  });

  it('refuses negative, fractional and non-finite numbers', () => {
    expect(() => formatCaseNumber(-1)).toThrow(RangeError);
    expect(() => formatCaseNumber(1.5)).toThrow(RangeError);
    expect(() => formatCaseNumber(Number.NaN)).toThrow(RangeError);
  });
});

describe('parseCaseNumber', () => {
  it('reads a bare case number', () => {
    expect(parseCaseNumber('LC0001234')).toBe(1234);
  });

  it('reads a case number in any letter case', () => {
    expect(parseCaseNumber('lc0001234')).toBe(1234);
    expect(parseCaseNumber('Lc0001234')).toBe(1234);
  });

  it('reads a bracketed tag, with spaces inside or around it', () => {
    expect(parseCaseNumber('[LC0001234]')).toBe(1234);
    expect(parseCaseNumber('  [ lc0001234 ] ')).toBe(1234);
  });

  it('reads numbers longer than seven digits', () => {
    expect(parseCaseNumber('LC12345678')).toBe(12_345_678);
  });

  it('round-trips what formatCaseNumber prints', () => {
    for (const n of [0, 7, 1234, 9_999_999, 10_000_000, MAX_CASE_NUMBER]) {
      expect(parseCaseNumber(formatCaseNumber(n))).toBe(n);
    }
  });

  it('rejects fewer than seven digits, other prefixes, extra text and half brackets', () => {
    for (const s of ['LC123456', 'LX0001234', '0001234', 'LC0001234x', 'case LC0001234', '[LC0001234', 'LC0001234]', 'LC 0001234', '']) {
      expect(parseCaseNumber(s), s).toBeNull();
    }
  });

  it('rejects numbers too large to name a case', () => {
    expect(parseCaseNumber(`LC${MAX_CASE_NUMBER + 1}`)).toBeNull();
    expect(parseCaseNumber('LC99999999999999999999')).toBeNull();
  });
});
