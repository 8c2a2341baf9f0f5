// Case numbers are sequential integers shown as `LC` + at least 7 digits (`LC0001234`).

/** The largest case number read from outside (subject tags, search). Far beyond any real helpdesk, and
 * small enough that a tag of 20 digits cannot overflow the bigint lookup and fail the whole query. */
export const MAX_CASE_NUMBER = 2_147_483_647;

const CASE_NUMBER_DIGITS = 7;

// Either `[LC0001234]` (spaces allowed inside the brackets) or a bare `LC0001234`; never half a bracket pair.
const CASE_NUMBER_PATTERN = /^\s*(?:\[\s*LC(\d{7,})\s*\]|LC(\d{7,}))\s*$/i;

/** `1234` → `LC0001234`. Numbers of 8 or more digits are printed in full. */
export function formatCaseNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`A case number is a non-negative integer, got ${n}`);
  }
  return `LC${String(n).padStart(CASE_NUMBER_DIGITS, '0')}`;
}

/** `LC0001234`, `lc0001234` or `[LC0001234]` → 1234; anything else → null. */
export function parseCaseNumber(s: string): number | null {
  const match = CASE_NUMBER_PATTERN.exec(s);
  if (!match) return null;
  return caseNumberFromDigits(match[1] ?? match[2]);
}

/** The number written by at least 7 ASCII digits, or null when it is too large to name a case. */
export function caseNumberFromDigits(digits: string): number | null {
  const n = Number(digits);
  return Number.isSafeInteger(n) && n <= MAX_CASE_NUMBER ? n : null;
}
