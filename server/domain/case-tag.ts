// The subject tag `[LC0001234]` is how a reply finds its case (seed: "If the subject does contain a case number").
import { caseNumberFromDigits, formatCaseNumber } from './case-number';

// Mail clients and people rewrite tags (lower case, spaces inside the brackets), so both are tolerated.
// "LC 0001234" is not a tag: a looser pattern would catch ordinary text such as "[LC 2024 offsite]".
const CASE_TAG_PATTERN = /\[\s*LC(\d{7,})\s*\]/gi;

/**
 * Every case number tagged in a subject, in order of appearance, each once. Prefixes such as
 * "Re: Fwd:" do not matter: a tag anywhere in the subject counts. Numbers too large to name a
 * case are left out.
 */
export function findCaseTags(subject: string): number[] {
  const found: number[] = [];
  for (const match of subject.matchAll(CASE_TAG_PATTERN)) {
    const n = caseNumberFromDigits(match[1]);
    if (n !== null && !found.includes(n)) found.push(n);
  }
  return found;
}

/** The subject with `[LC…]` in front, or unchanged (but trimmed) when it already carries that case's tag. */
export function tagSubject(subject: string, caseNumber: number): string {
  const trimmed = subject.trim();
  if (findCaseTags(trimmed).includes(caseNumber)) return trimmed;
  const tag = `[${formatCaseNumber(caseNumber)}]`;
  return trimmed === '' ? tag : `${tag} ${trimmed}`;
}
