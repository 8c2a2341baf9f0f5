import { describe, expect, it } from 'vitest';
import { decideSpamContact, describeSpamOutcome } from './spam-contact-rule';

const CASE = 'case-1';

describe('decideSpamContact', () => {
  it('deletes the contact this case created when it has no other cases', () => {
    expect(decideSpamContact({ caseId: CASE, contact: { id: 'c', createdByCaseId: CASE }, otherNonSpamCases: 0 })).toEqual({
      action: 'delete',
    });
  });

  it('keeps the contact this case created when it has another case that is not spam', () => {
    expect(decideSpamContact({ caseId: CASE, contact: { id: 'c', createdByCaseId: CASE }, otherNonSpamCases: 1 })).toEqual({
      action: 'keep',
      reason: 'has_other_cases',
    });
  });

  it('keeps a contact that existed before the case', () => {
    expect(decideSpamContact({ caseId: CASE, contact: { id: 'c', createdByCaseId: null }, otherNonSpamCases: 0 })).toEqual({
      action: 'keep',
      reason: 'not_created_by_this_case',
    });
  });

  it('keeps a contact that another case created', () => {
    expect(decideSpamContact({ caseId: CASE, contact: { id: 'c', createdByCaseId: 'case-2' }, otherNonSpamCases: 0 })).toEqual({
      action: 'keep',
      reason: 'not_created_by_this_case',
    });
  });

  it('has nothing to do for a case without a contact', () => {
    expect(decideSpamContact({ caseId: CASE, contact: null, otherNonSpamCases: 0 })).toEqual({ action: 'keep', reason: 'no_contact' });
  });
});

describe('describeSpamOutcome', () => {
  it('says that the created contact was deleted', () => {
    expect(describeSpamOutcome({ spam: true, changed: true, contact: { kind: 'deleted', email: 'jane@x.test' } })).toBe(
      'Marked as spam. The contact jane@x.test that this email created was deleted.',
    );
  });

  it('says why the created contact was kept, with the number of its other cases', () => {
    expect(
      describeSpamOutcome({
        spam: true,
        changed: true,
        contact: { kind: 'kept', email: 'jane@x.test', reason: 'has_other_cases', otherCases: 2 },
      }),
    ).toBe('Marked as spam. The contact jane@x.test that this email created was kept: it has 2 other cases.');
    expect(
      describeSpamOutcome({
        spam: true,
        changed: true,
        contact: { kind: 'kept', email: 'jane@x.test', reason: 'has_other_cases', otherCases: 1 },
      }),
    ).toMatch(/it has 1 other case\.$/);
  });

  it('says that a contact that existed before was kept', () => {
    expect(
      describeSpamOutcome({ spam: true, changed: true, contact: { kind: 'kept', email: 'old@x.test', reason: 'not_created_by_this_case' } }),
    ).toBe('Marked as spam. The contact old@x.test was kept: it existed before this case.');
  });

  it('reports marking not spam and repeated requests plainly', () => {
    expect(describeSpamOutcome({ spam: false, changed: true, contact: { kind: 'none' } })).toBe('Marked as not spam.');
    expect(describeSpamOutcome({ spam: true, changed: false, contact: { kind: 'none' } })).toBe('This case already is marked as spam.');
  });
});
