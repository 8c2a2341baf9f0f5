import { describe, expect, it } from 'vitest';
import { canUndoMerge, checkMerge, checkMoveMessage, chooseSplitMessages, finalCaseOf, splitCaseSubject, type ThreadEntry, type UndoFacts } from './case-merge';

describe('finalCaseOf', () => {
  it('is the case itself when it was never merged', () => {
    expect(finalCaseOf('a', new Map())).toBe('a');
    expect(finalCaseOf('a', new Map([['a', null]]))).toBe('a');
  });

  it('follows a chain of merges to the case at its end', () => {
    const mergedInto = new Map<string, string | null>([
      ['a', 'b'],
      ['b', 'c'],
      ['c', null],
    ]);
    expect(finalCaseOf('a', mergedInto)).toBe('c');
    expect(finalCaseOf('b', mergedInto)).toBe('c');
  });

  it('stops at the repeating case of a loop instead of spinning', () => {
    const loop = new Map<string, string | null>([
      ['a', 'b'],
      ['b', 'a'],
    ]);
    expect(finalCaseOf('a', loop)).toBe('b');
  });
});

const live = (id: string, number: number) => ({ id, number, mergedIntoNumber: null });

describe('checkMerge', () => {
  it('merges one live case into another', () => {
    expect(checkMerge(live('a', 1), live('b', 2))).toEqual({ ok: true });
  });

  it('refuses to merge a case into itself', () => {
    expect(checkMerge(live('a', 1), live('a', 1))).toMatchObject({ ok: false, reason: 'A case cannot be merged into itself.' });
  });

  it('refuses a case that was already merged, naming where it went', () => {
    const verdict = checkMerge({ id: 'a', number: 1, mergedIntoNumber: 3 }, live('b', 2));
    expect(verdict).toEqual({ ok: false, reason: 'LC0000001 was already merged into LC0000003.' });
  });

  it('refuses a merged target and names the live case to merge into', () => {
    const verdict = checkMerge(live('a', 1), { id: 'b', number: 2, mergedIntoNumber: 7 });
    expect(verdict).toEqual({ ok: false, reason: 'LC0000002 was merged into LC0000007: merge into LC0000007 instead.' });
  });
});

const untouched: UndoFacts = {
  kind: 'merge',
  undone: false,
  sourceStillMergedIntoTarget: true,
  targetMergedSince: false,
  targetMessageCountAfterMerge: 5,
  targetMessageCountNow: 5,
  movedMessages: 2,
  movedStillInTarget: 2,
};

describe('canUndoMerge', () => {
  it('allows undoing a merge while nothing new arrived in the target', () => {
    expect(canUndoMerge(untouched)).toEqual({ ok: true });
  });

  it('refuses once a new message arrived in the target', () => {
    expect(canUndoMerge({ ...untouched, targetMessageCountNow: 6 })).toEqual({
      ok: false,
      reason: 'Something new arrived in the case since the merge, so it can no longer be undone.',
    });
  });

  it('refuses once a merged message was moved on', () => {
    expect(canUndoMerge({ ...untouched, movedStillInTarget: 1, targetMessageCountNow: 4 })).toMatchObject({ ok: false });
  });

  it('refuses when the target was merged on into another case', () => {
    expect(canUndoMerge({ ...untouched, targetMergedSince: true })).toMatchObject({ ok: false });
  });

  it('refuses a second undo, and splits and moves', () => {
    expect(canUndoMerge({ ...untouched, undone: true })).toEqual({ ok: false, reason: 'This merge was already undone.' });
    expect(canUndoMerge({ ...untouched, kind: 'split' })).toMatchObject({ ok: false });
  });
});

const thread: ThreadEntry[] = [
  { id: 'm1', direction: 'inbound' },
  { id: 'm2', direction: 'outbound' },
  { id: 'm3', direction: 'inbound' },
  { id: 'm4', direction: 'note' },
];

describe('chooseSplitMessages', () => {
  it('takes only the chosen message', () => {
    expect(chooseSplitMessages(thread, 'm3', false)).toEqual({ ok: true, messageIds: ['m3'] });
  });

  it('takes the chosen message and every one after it, replies and notes included', () => {
    expect(chooseSplitMessages(thread, 'm2', true)).toEqual({ ok: true, messageIds: ['m2', 'm3', 'm4'] });
  });

  it('refuses to take every message of the case', () => {
    expect(chooseSplitMessages(thread, 'm1', true)).toEqual({ ok: false, reason: 'That would take every message of the case; merge the case instead.' });
    expect(chooseSplitMessages([thread[0]!], 'm1', false)).toMatchObject({ ok: false });
  });

  it('refuses a message that is not in the case (moved away meanwhile)', () => {
    expect(chooseSplitMessages(thread, 'elsewhere', false)).toEqual({ ok: false, reason: 'This message is no longer in this case.' });
  });
});

describe('checkMoveMessage', () => {
  it('moves a message to another live case', () => {
    expect(checkMoveMessage({ thread, messageId: 'm3', source: live('a', 1), target: live('b', 2) })).toEqual({ ok: true });
  });

  it('refuses the same case, a merged target and the only message', () => {
    expect(checkMoveMessage({ thread, messageId: 'm3', source: live('a', 1), target: live('a', 1) })).toMatchObject({ ok: false });
    expect(checkMoveMessage({ thread, messageId: 'm3', source: live('a', 1), target: { id: 'b', number: 2, mergedIntoNumber: 4 } })).toEqual({
      ok: false,
      reason: 'LC0000002 was merged into LC0000004: move the message there instead.',
    });
    expect(checkMoveMessage({ thread: [thread[0]!], messageId: 'm1', source: live('a', 1), target: live('b', 2) })).toMatchObject({ ok: false });
  });
});

describe('splitCaseSubject', () => {
  it("drops the old case's tag so the new case's replies carry only the new one", () => {
    expect(splitCaseSubject('Re: [LC0000042] Second printer', 'Printers')).toBe('Re: Second printer');
  });

  it("falls back to the case's subject when the message has none", () => {
    expect(splitCaseSubject('[LC0000042]', '[LC0000042] Printers')).toBe('Printers');
  });
});
