import { describe, expect, it } from 'vitest';
import { checkListing, missedByFirstListing, nextUidNamespace, resolveUidNext, serverUidValidity } from './mailbox-listing';

describe('the next UID of a mailbox', () => {
  it('is SELECT\'s UIDNEXT when the server gave one', () => {
    expect(resolveUidNext({ selectUidNext: 42, statusUidNext: 40, highestUid: 41 })).toBe(42);
  });

  it('comes from STATUS when SELECT had no UIDNEXT (Courier), never NaN', () => {
    expect(resolveUidNext({ selectUidNext: undefined, statusUidNext: 7, highestUid: 6 })).toBe(7);
    expect(Number.isNaN(resolveUidNext({ selectUidNext: undefined, statusUidNext: undefined, highestUid: null }))).toBe(false);
  });

  it('is one past the highest UID found when no response code gave it, 1 for an empty mailbox', () => {
    expect(resolveUidNext({ highestUid: 9 })).toBe(10);
    expect(resolveUidNext({ highestUid: null })).toBe(1);
  });

  it('ignores a UIDNEXT that is not a UID or lies below a UID the mailbox holds', () => {
    expect(resolveUidNext({ selectUidNext: Number.NaN, statusUidNext: 'x', highestUid: 3 })).toBe(4);
    expect(resolveUidNext({ selectUidNext: 0, highestUid: null })).toBe(1);
    expect(resolveUidNext({ selectUidNext: 5, highestUid: 8 })).toBe(9);
  });
});

describe('checking a listing against the server\'s counts', () => {
  it('is consistent when the last message is listed or nothing lies above the cursor', () => {
    expect(checkListing({ lastUid: 4, listed: [5, 6], exists: 6, highestUid: 6, uidNext: null }).kind).toBe('consistent');
    expect(checkListing({ lastUid: 6, listed: [], exists: 6, highestUid: 6, uidNext: 7 }).kind).toBe('consistent');
    // Expunged newest messages: the highest UID is below the cursor, UIDNEXT still above it.
    expect(checkListing({ lastUid: 10, listed: [], exists: 8, highestUid: 8, uidNext: 11 }).kind).toBe('consistent');
    expect(checkListing({ lastUid: 0, listed: [], exists: 0, highestUid: null, uidNext: 1 }).kind).toBe('consistent');
  });

  it('lists again when the server holds a message above the cursor that UID SEARCH left out', () => {
    const verdict = checkListing({ lastUid: 41, listed: [], exists: 44, highestUid: 44, uidNext: null });
    expect(verdict).toEqual({
      kind: 'list-again',
      discrepancy: 'UID SEARCH listed 0 messages above UID 41, but the server holds 44 (EXISTS), the last with UID 44.',
    });
  });

  it('reads the mailbox again when the server numbers new mail at or below UIDs already taken', () => {
    const verdict = checkListing({ lastUid: 3, listed: [], exists: 2, highestUid: 2, uidNext: 3 });
    expect(verdict.kind).toBe('renumbered');
    expect(verdict.kind === 'renumbered' && verdict.discrepancy).toContain('UIDNEXT is 3 while UIDs up to 3 were already taken');
  });

  it('names the UIDs only the second listing found', () => {
    expect(missedByFirstListing([43], [42, 43, 44, 40], 41)).toEqual([42, 44]);
  });
});

describe('the UID namespace of a cursor', () => {
  it('is the server\'s UIDVALIDITY until the server numbers its mail again, then a new one that reports the same UIDVALIDITY', () => {
    const renumbered = nextUidNamespace(796121091);
    expect(renumbered).not.toBe(796121091);
    expect(serverUidValidity(796121091)).toBe(796121091);
    expect(serverUidValidity(renumbered)).toBe(796121091);
    expect(serverUidValidity(nextUidNamespace(renumbered))).toBe(796121091);
    expect(Number.isSafeInteger(nextUidNamespace(nextUidNamespace(0xffffffff)))).toBe(true);
  });
});
