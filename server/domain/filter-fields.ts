// What a processor filter can look at and how it compares: shared by the matcher, the form's schema and the
// admin page. Kept apart from match-filters.ts so the browser bundle does not pull in the regex engine.
export const MATCH_FIELDS = ['from_address', 'from_name', 'to', 'cc', 'subject', 'body', 'header'] as const;
export const MATCH_RULES = ['contains', 'not_contains', 'equals', 'starts_with', 'ends_with', 'regex'] as const;

/** The part of a message a filter looks at; `header` needs a header name as well. */
export type MatchField = (typeof MATCH_FIELDS)[number];
/** How a filter compares; `not_contains` is the seed's "does not contain", `regex` "matches regular expression". */
export type MatchRule = (typeof MATCH_RULES)[number];

/** Filters per processor: every message of a mailbox runs through all of them, so their number is bounded. */
export const MAX_FILTERS_PER_PROCESSOR = 100;
