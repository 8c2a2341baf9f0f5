import { describe, expect, it } from 'vitest';
import { uidSets } from './uid-sets';

describe('uid sets', () => {
  it('writes consecutive UIDs as one range, however many there are', () => {
    expect(uidSets(Array.from({ length: 100_000 }, (_, i) => i + 1))).toEqual(['1:100000']);
  });

  it('keeps gaps, sorts and drops repeats', () => {
    expect(uidSets([9, 3, 4, 5, 7, 3, 10])).toEqual(['3:5,7,9:10']);
  });

  it('splits a set that would make a command line too long, and loses no UID doing so', () => {
    const scattered = Array.from({ length: 5_000 }, (_, i) => 2 * i + 1);
    const sets = uidSets(scattered, 1_000);
    expect(sets.length).toBeGreaterThan(1);
    for (const set of sets) expect(set.length).toBeLessThanOrEqual(1_000);
    expect(sets.join(',').split(',').map(Number)).toEqual(scattered);
  });

  it('gives no set for no UIDs', () => {
    expect(uidSets([])).toEqual([]);
  });
});
