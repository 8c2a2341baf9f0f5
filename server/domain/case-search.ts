// What an agent typed in the case list's search box. A case number (`LC0001234`, `[LC0001234]`)
// finds that case and nothing else. Bare digits (`1234`) find case 1234 and are also searched as a
// word, since they may be part of a subject or a message.
//
// Everything else is searched as words (server/services/cases.ts, Postgres full-text search with the
// 'leopard_search' configuration: no stemming, accents ignored): every term must occur in the case,
// a term in "double quotes" is a phrase, and a term of several words at once (jane@customer, 東京,
// e-mail) is matched as a phrase too. The snippet of the match comes back with the matched words marked.
import { caseNumberFromDigits, parseCaseNumber } from './case-number';

export type CaseSearch = {
  caseNumber: number | null;
  text: string | null;
  /** The term was written as a case number: only the number is searched. */
  exact: boolean;
  /** The words and phrases that must all occur; empty when nothing searchable was typed. */
  terms: string[];
};

/** Longer terms match nothing useful and make the search needlessly expensive. */
export const MAX_SEARCH_CHARS = 200;

/** More terms than this are dropped: each is one more condition on every candidate case. */
export const MAX_SEARCH_TERMS = 8;

const BARE_DIGITS = /^\d{1,10}$/;
// A term with nothing but punctuation has no words for the index to find.
const SEARCHABLE = /[\p{L}\p{N}]/u;
// Han, kana and Hangul are indexed one character at a time (leopard_search_text in the migrations).
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]/u;

export function parseCaseSearch(input: string | null | undefined): CaseSearch {
  const term = (input ?? '').trim().slice(0, MAX_SEARCH_CHARS);
  if (!term) return { caseNumber: null, text: null, exact: false, terms: [] };
  const written = parseCaseNumber(term);
  if (written !== null) return { caseNumber: written, text: term, exact: true, terms: [] };
  return {
    caseNumber: BARE_DIGITS.test(term) ? caseNumberFromDigits(term) : null,
    text: term,
    exact: false,
    terms: searchTerms(term),
  };
}

/** Quoted phrases and single words, in the order written, each once. */
export function searchTerms(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const term = (match[1] ?? match[2] ?? '').replace(/\s+/g, ' ').trim();
    if (term && SEARCHABLE.test(term) && !terms.includes(term)) terms.push(term);
  }
  return terms.slice(0, MAX_SEARCH_TERMS);
}

/**
 * Whether the index of a whole case (which keeps words, not their positions) can answer a term on
 * its own: a single plain word can; anything that may become several words (a phrase, an address,
 * a CJK word) is also checked against the messages themselves.
 */
export function termNeedsPhraseCheck(term: string): boolean {
  return CJK.test(term) || /[^\p{L}\p{N}]/u.test(term);
}

/** A LIKE pattern that finds `text` anywhere: the user's % and _ are literal characters. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A piece of text as shown in the list: the matched words are the ones with `match`. */
export type HighlightSegment = { text: string; match: boolean };

/** ts_headline's marks: the SQL replaces these characters in the text itself, so they cannot be forged. */
export const HIGHLIGHT_START = '\u0002';
export const HIGHLIGHT_STOP = '\u0003';
const CJK_SEPARATOR = /\u0001/g;

/**
 * ts_headline's output, split at its marks into plain-text pieces for React to render (never as
 * HTML). The separators that split CJK text into characters go, neighbouring marked pieces join
 * (a CJK word is marked one character at a time), and runs of whitespace become one space.
 */
export function parseHighlight(headline: string | null | undefined): HighlightSegment[] {
  if (!headline) return [];
  const segments: HighlightSegment[] = [];
  const text = headline.replace(CJK_SEPARATOR, '').replace(/\s+/g, ' ');
  let match = false;
  for (const piece of text.split(new RegExp(`([${HIGHLIGHT_START}${HIGHLIGHT_STOP}])`))) {
    if (piece === HIGHLIGHT_START) match = true;
    else if (piece === HIGHLIGHT_STOP) match = false;
    else if (piece) {
      const last = segments.at(-1);
      if (last && last.match === match) last.text += piece;
      else segments.push({ text: piece, match });
    }
  }
  const first = segments[0];
  if (first) first.text = first.text.trimStart();
  const last = segments.at(-1);
  if (last) last.text = last.text.trimEnd();
  return segments.filter((s) => s.text);
}
