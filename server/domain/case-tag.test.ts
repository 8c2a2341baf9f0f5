import { describe, it, expect } from 'vitest';
import { findCaseTags, tagSubject } from './case-tag';

describe('findCaseTags', () => {
  it('finds no tag in a plain subject', () => {
    expect(findCaseTags('My printer is on fire')).toEqual([]);
    expect(findCaseTags('')).toEqual([]);
  });

  it('finds a tag at the start of the subject', () => {
    expect(findCaseTags('[LC0001234] My printer is on fire')).toEqual([1234]);
  });

  it('finds a tag behind reply and forward prefixes', () => {
    expect(findCaseTags('Re: Fwd: [LC0000042] help')).toEqual([42]);
    expect(findCaseTags('AW: WG: help [LC0000042]')).toEqual([42]);
  });

  it('finds a tag written in lower case', () => {
    expect(findCaseTags('re: [lc0001234] thanks')).toEqual([1234]);
  });

  it('finds a tag with spaces inside the brackets', () => {
    expect(findCaseTags('Re: [ LC0001234 ] thanks')).toEqual([1234]);
  });

  it('finds tags with more than seven digits', () => {
    expect(findCaseTags('[LC12345678] big shop')).toEqual([12_345_678]);
  });

  it('lists several tags in order of appearance, each once', () => {
    expect(findCaseTags('[LC0000009] Re: [LC0000002] Re: [lc0000009] [LC0000005]')).toEqual([9, 2, 5]);
  });

  it('ignores case numbers that are not a bracketed LC tag of at least seven digits', () => {
    expect(findCaseTags('LC0001234 without brackets')).toEqual([]);
    expect(findCaseTags('[LC123456] too short')).toEqual([]);
    expect(findCaseTags('[LC 0001234] space after LC')).toEqual([]);
    expect(findCaseTags('[XC0001234] other prefix')).toEqual([]);
    expect(findCaseTags('[LC0001234x] trailing letter')).toEqual([]);
  });

  it('ignores a tag whose number is too large to name a case', () => {
    expect(findCaseTags('[LC99999999999] [LC0000001]')).toEqual([1]);
  });
});

describe('tagSubject', () => {
  it('puts the tag in front of a subject', () => {
    expect(tagSubject('My printer is on fire', 1234)).toBe('[LC0001234] My printer is on fire');
  });

  it('leaves a subject that already carries the tag alone', () => {
    expect(tagSubject('Re: [LC0001234] My printer', 1234)).toBe('Re: [LC0001234] My printer');
    expect(tagSubject('Re: [lc0001234] My printer', 1234)).toBe('Re: [lc0001234] My printer');
  });

  it('adds its tag in front of the tag of another case', () => {
    expect(tagSubject('[LC0000007] old question', 42)).toBe('[LC0000042] [LC0000007] old question');
  });

  it('gives just the tag for an empty or blank subject', () => {
    expect(tagSubject('', 42)).toBe('[LC0000042]');
    expect(tagSubject('   ', 42)).toBe('[LC0000042]');
  });

  it('trims the subject it tags', () => {
    expect(tagSubject('  hello  ', 42)).toBe('[LC0000042] hello');
  });
});
