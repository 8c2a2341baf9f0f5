// What an agent typed in the case list's search box. A case number (`LC0001234`, `[LC0001234]`)
// finds that case and nothing else. Bare digits (`1234`) find case 1234 and are also matched
// against subjects and sender addresses, like any other term, since they may be part of those.
import { caseNumberFromDigits, parseCaseNumber } from './case-number';

export type CaseSearch = {
  caseNumber: number | null;
  text: string | null;
  /** The term was written as a case number: only the number is searched. */
  exact: boolean;
};

/** Longer terms match nothing useful and make LIKE patterns needlessly expensive. */
export const MAX_SEARCH_CHARS = 200;

const BARE_DIGITS = /^\d{1,10}$/;

export function parseCaseSearch(input: string | null | undefined): CaseSearch {
  const term = (input ?? '').trim().slice(0, MAX_SEARCH_CHARS);
  if (!term) return { caseNumber: null, text: null, exact: false };
  const written = parseCaseNumber(term);
  if (written !== null) return { caseNumber: written, text: term, exact: true };
  return { caseNumber: BARE_DIGITS.test(term) ? caseNumberFromDigits(term) : null, text: term, exact: false };
}

/** A LIKE pattern that finds `text` anywhere: the user's % and _ are literal characters. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
