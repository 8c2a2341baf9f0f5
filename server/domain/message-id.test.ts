import { describe, it, expect } from 'vitest';
import { normalizeMessageId, parseReferences } from './message-id';

describe('normalizeMessageId', () => {
  it('strips angle brackets and surrounding whitespace', () => {
    expect(normalizeMessageId(' <abc.123@mail.example.com> ')).toBe('abc.123@mail.example.com');
  });

  it('keeps an id that has no brackets', () => {
    expect(normalizeMessageId('abc@x')).toBe('abc@x');
  });

  it('removes whitespace that header folding left inside the id', () => {
    expect(normalizeMessageId('<abc\r\n @x>')).toBe('abc@x');
  });

  it('keeps the letter case of the id', () => {
    expect(normalizeMessageId('<CAF=Xy@Mail.Gmail.com>')).toBe('CAF=Xy@Mail.Gmail.com');
  });

  it('takes the bracketed id out of an In-Reply-To with comment text', () => {
    expect(normalizeMessageId('Your message of "Mon, 1 Jan 2024" <abc@x>')).toBe('abc@x');
  });

  it('gives null for missing, empty and bracket-only values', () => {
    expect(normalizeMessageId(undefined)).toBeNull();
    expect(normalizeMessageId(null)).toBeNull();
    expect(normalizeMessageId('')).toBeNull();
    expect(normalizeMessageId('   ')).toBeNull();
    expect(normalizeMessageId('<>')).toBeNull();
    expect(normalizeMessageId('< >')).toBeNull();
  });
});

describe('parseReferences', () => {
  it('splits space separated bracketed ids', () => {
    expect(parseReferences('<a@x> <b@y>')).toEqual(['a@x', 'b@y']);
  });

  it('splits bracketed ids with nothing between them', () => {
    expect(parseReferences('<a@x><b@y>')).toEqual(['a@x', 'b@y']);
  });

  it('splits comma and newline separated ids', () => {
    expect(parseReferences('<a@x>,<b@y>\r\n <c@z>')).toEqual(['a@x', 'b@y', 'c@z']);
    expect(parseReferences('a@x, b@y\n c@z')).toEqual(['a@x', 'b@y', 'c@z']);
  });

  it('reads the string arrays mailparser gives', () => {
    expect(parseReferences(['<a@x>', '<b@y> <c@z>'])).toEqual(['a@x', 'b@y', 'c@z']);
  });

  it('lists each id once, keeping the first position', () => {
    expect(parseReferences('<a@x> <b@y> <a@x> <c@z> <b@y>')).toEqual(['a@x', 'b@y', 'c@z']);
    expect(parseReferences(['<a@x>', 'a@x'])).toEqual(['a@x']);
  });

  it('ignores comment text around bracketed ids', () => {
    expect(parseReferences('Your message of Monday <a@x>')).toEqual(['a@x']);
  });

  it('gives an empty list for missing or empty values', () => {
    expect(parseReferences(undefined)).toEqual([]);
    expect(parseReferences(null)).toEqual([]);
    expect(parseReferences('')).toEqual([]);
    expect(parseReferences([])).toEqual([]);
    expect(parseReferences('<> ,  ')).toEqual([]);
  });
});
