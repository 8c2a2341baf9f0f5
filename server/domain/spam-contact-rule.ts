// The seed's spam rule: "when a case that created its contact is marked as spam, that contact is
// deleted, unless it has other cases that are not spam". A contact that existed before the case
// (matched, not created by it) is never touched: the spam mail only borrowed its address.

export type SpamContactFacts = {
  caseId: string;
  /** The case's contact, if it still has one. */
  contact: { id: string; createdByCaseId: string | null } | null;
  /** Cases of that contact other than this one that are not marked as spam. */
  otherNonSpamCases: number;
};

export type SpamContactDecision =
  | { action: 'delete' }
  | { action: 'keep'; reason: 'no_contact' | 'not_created_by_this_case' | 'has_other_cases' };

export function decideSpamContact({ caseId, contact, otherNonSpamCases }: SpamContactFacts): SpamContactDecision {
  if (!contact) return { action: 'keep', reason: 'no_contact' };
  if (contact.createdByCaseId !== caseId) return { action: 'keep', reason: 'not_created_by_this_case' };
  if (otherNonSpamCases > 0) return { action: 'keep', reason: 'has_other_cases' };
  return { action: 'delete' };
}

/** What marking spam (or not spam) did, as the case page reports it. */
export type SpamOutcome = {
  spam: boolean;
  /** False when the case already was in that state: nothing was done. */
  changed: boolean;
  contact:
    | { kind: 'none' }
    | { kind: 'deleted'; email: string }
    | { kind: 'kept'; email: string; reason: 'not_created_by_this_case' }
    | { kind: 'kept'; email: string; reason: 'has_other_cases'; otherCases: number };
};

export function describeSpamOutcome(outcome: SpamOutcome): string {
  if (!outcome.changed) return outcome.spam ? 'This case already is marked as spam.' : 'This case is not marked as spam.';
  if (!outcome.spam) return 'Marked as not spam.';
  const contact = outcome.contact;
  switch (contact.kind) {
    case 'none':
      return 'Marked as spam.';
    case 'deleted':
      return `Marked as spam. The contact ${contact.email} that this email created was deleted.`;
    case 'kept':
      return contact.reason === 'has_other_cases'
        ? `Marked as spam. The contact ${contact.email} that this email created was kept: it has ${contact.otherCases} other ${contact.otherCases === 1 ? 'case' : 'cases'}.`
        : `Marked as spam. The contact ${contact.email} was kept: it existed before this case.`;
  }
}
