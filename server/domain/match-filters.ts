// Which case settings a new case gets from its processor's filters (DESIGN "Filters").
// Filters run in ascending priority (equal priorities by id, so the order never depends on the database);
// each matching filter sets the case fields it names and a later match overrides an earlier one;
// "stop filtering" ends the run. A filter never drops mail: with no match the case gets the defaults.
//
// Decisions:
// - Every comparison ignores letter case, and whitespace at both ends of the message's value.
// - To and Cc are compared by address only (the part inside <…> of "Name <addr>"): the address is what an
//   admin routes on ("to equals sales@acme.com"), and display names of recipients are whatever the sender
//   typed. Sender names have their own field, from_name.
// - For fields with several values (To, Cc, a repeated header) a positive rule matches when any value does;
//   "does not contain" matches only when no value contains the text, so it also matches when the field is
//   empty or the header absent.
// - The body is compared over its first BODY_MATCH_LIMIT characters only: a pasted log or a forwarded
//   archive can run to megabytes, and the words that route a mail sit near the top.
// - A condition with no value, or a header condition without a header name, matches nothing: it cannot
//   have passed validateFilterCondition, and guessing would route mail on a half-written rule.
// - Regular expressions run on RE2 (server/domain/filter-regex.ts): the usual syntax without
//   back-references and look-around, which are refused at save; always case-insensitive, no `m`/`s`: `^` and
//   `$` anchor the whole value. The values they run over are the same as for the other rules.
// - Where a regular expression is evaluated is the caller's choice: intake and "Try a message" evaluate
//   regexJobs() on the filter thread under a budget per message (server/services/filter-regex-pool.ts) and
//   pass the verdicts in; a regex without a verdict ran out of that budget. Without verdicts (unit tests, a
//   caller that knows its input is small) they run here, in linear time but with no time limit.
//   A timed-out or invalid regex counts as no match and is reported in the outcome.
import { checkFilterRegex, testFilterRegex } from './filter-regex';
import { type MatchField, type MatchRule } from './filter-fields';

export { MATCH_FIELDS, MATCH_RULES, type MatchField, type MatchRule } from './filter-fields';

/** The fields of a new case that filters decide; null means "not set" (the case gets no value for it). */
export type CaseSettings = {
  caseTypeId: string | null;
  casePriorityId: string | null;
  assignedToId: string | null;
  managedById: string | null;
};

/** What filters can see of an inbound message. `to`/`cc` hold addresses or "Name <addr>" strings. */
export type FilterableMessage = {
  fromAddress: string;
  fromName: string;
  to: string[];
  cc: string[];
  subject: string;
  body: string;
  /** Header values by lower-cased header name; a header that occurs several times has several values. */
  headers: Record<string, string[]>;
};

/** A processor filter as the ingest path needs it. No field or no rule means no condition: it matches every message. */
export type ProcessorFilterRule = {
  id: string;
  priority: number;
  matchField: MatchField | null;
  headerName: string | null;
  matchRule: MatchRule | null;
  matchValue: string | null;
  stopFiltering: boolean;
  caseTypeId: string | null;
  casePriorityId: string | null;
  assignedToId: string | null;
  managedById: string | null;
};

/** The settings for the new case, which filters produced them, and anything an admin should know. */
export type FilterOutcome = {
  settings: CaseSettings;
  /** In the order they were applied. */
  matchedFilterIds: string[];
  /** Filters whose regular expression ran out of the message's time budget; they counted as no match. */
  timedOutFilterIds: string[];
  /** Filters whose regular expression does not compile (saved before validation caught it); no match. */
  invalidFilterIds: string[];
  note: string | null;
};

/** The condition part of a filter, as an admin edits it. */
export type FilterCondition = Pick<ProcessorFilterRule, 'matchField' | 'headerName' | 'matchRule' | 'matchValue'>;

/** Form errors by field name; empty when the condition can be saved. */
export type FilterConditionErrors = Partial<Record<keyof FilterCondition, string>>;

export type RegexVerdict = 'match' | 'no_match' | 'timeout' | 'invalid';

/** Verdicts by filter id for the regular-expression filters of one message (see regexJobs). */
export type RegexVerdicts = ReadonlyMap<string, RegexVerdict>;

/** One regular-expression condition of one message: its pattern and the key of the values it runs over. */
export type RegexJob = { filterId: string; pattern: string; valuesKey: string };

/** Everything needed to evaluate a message's regular-expression filters elsewhere (a thread). */
export type RegexWork = { jobs: RegexJob[]; values: Record<string, string[]> };

export type MatchFiltersOptions = {
  regexVerdicts?: RegexVerdicts;
  /** Named in the note about filters that ran out of time. */
  regexBudgetMs?: number;
};

export const NO_FILTER_MATCHED_NOTE = 'No filter matched; system defaults used.';
export const BODY_MATCH_LIMIT = 100_000;
export const MAX_MATCH_VALUE_LENGTH = 500;

const CASE_SETTING_KEYS = ['caseTypeId', 'casePriorityId', 'assignedToId', 'managedById'] as const;

type ConditionResult = 'match' | 'no_match' | 'timeout' | 'invalid';

export function matchFilters(
  message: FilterableMessage,
  filters: ProcessorFilterRule[],
  defaults: CaseSettings,
  options: MatchFiltersOptions = {},
): FilterOutcome {
  const settings: CaseSettings = { ...defaults };
  const matchedFilterIds: string[] = [];
  const timedOutFilterIds: string[] = [];
  const invalidFilterIds: string[] = [];
  const regex = (filter: ProcessorFilterRule, values: string[]): ConditionResult =>
    options.regexVerdicts ? (options.regexVerdicts.get(filter.id) ?? 'timeout') : testFilterRegex(filter.matchValue ?? '', values);
  const loweredValues = new Map<string, string[]>();

  for (const filter of inOrder(filters)) {
    const result = evaluateCondition(filter, message, regex, loweredValues);
    if (result === 'timeout') timedOutFilterIds.push(filter.id);
    if (result === 'invalid') invalidFilterIds.push(filter.id);
    if (result !== 'match') continue;

    matchedFilterIds.push(filter.id);
    for (const key of CASE_SETTING_KEYS) {
      const value = filter[key];
      if (value !== null) settings[key] = value;
    }
    if (filter.stopFiltering) break;
  }

  const notes: string[] = [];
  if (matchedFilterIds.length === 0) notes.push(NO_FILTER_MATCHED_NOTE);
  const budget = options.regexBudgetMs === undefined ? '' : ` of ${options.regexBudgetMs} ms`;
  for (const id of timedOutFilterIds) {
    notes.push(`The regular expression of filter ${id} ran out of the message's time budget${budget} and counted as no match.`);
  }
  for (const id of invalidFilterIds) {
    notes.push(`The regular expression of filter ${id} is not valid and counted as no match.`);
  }
  return { settings, matchedFilterIds, timedOutFilterIds, invalidFilterIds, note: notes.length > 0 ? notes.join(' ') : null };
}

/**
 * The regular-expression conditions of a message, in filter order, with the values each runs over (the
 * same values matchFilters compares; each field's values once, however many filters look at it).
 */
export function regexJobs(message: FilterableMessage, filters: ProcessorFilterRule[]): RegexWork {
  const jobs: RegexJob[] = [];
  const values: Record<string, string[]> = {};
  for (const filter of inOrder(filters)) {
    const { matchField, matchRule, matchValue } = filter;
    if (matchRule !== 'regex' || matchField === null || matchValue === null || matchValue === '') continue;
    const headerName = filter.headerName?.trim().toLowerCase() ?? '';
    if (matchField === 'header' && headerName === '') continue;
    const key = valuesKey(matchField, headerName);
    values[key] ??= fieldValues(message, matchField, headerName).map((v) => v.trim().toLowerCase());
    jobs.push({ filterId: filter.id, pattern: matchValue, valuesKey: key });
  }
  return { jobs, values };
}

/** Save-time check of a match value for a rule; a message in plain words, or null when it is fine. */
export function validateFilterPattern(rule: MatchRule | null, value: string | null): string | null {
  if (rule === null) return null;
  if (value === null || value.trim() === '') return 'Enter a value to match.';
  if (value.length > MAX_MATCH_VALUE_LENGTH) return `Keep the value to ${MAX_MATCH_VALUE_LENGTH} characters or fewer.`;
  if (rule === 'regex') return checkFilterRegex(value);
  return null;
}

/** Save-time check of a whole condition, with each message on the field it belongs to. */
export function validateFilterCondition(condition: FilterCondition): FilterConditionErrors {
  const errors: FilterConditionErrors = {};
  const { matchField, matchRule } = condition;
  if (matchField === null && matchRule === null) return errors;
  if (matchField === null) errors.matchField = 'Choose the field to match, or clear the rule to match every message.';
  if (matchRule === null) errors.matchRule = 'Choose how to match, or clear the field to match every message.';
  if (matchField === 'header') {
    const name = condition.headerName?.trim() ?? '';
    if (name === '') errors.headerName = 'Enter the name of the header, for example X-Priority.';
    // RFC 5322 field names are printable ASCII without spaces or colons.
    else if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) errors.headerName = 'A header name has no spaces, colons or accented letters.';
  }
  const valueError = validateFilterPattern(matchRule, condition.matchValue);
  if (valueError !== null) errors.matchValue = valueError;
  return errors;
}

function evaluateCondition(
  filter: ProcessorFilterRule,
  message: FilterableMessage,
  regex: (filter: ProcessorFilterRule, values: string[]) => ConditionResult,
  loweredValues: Map<string, string[]>,
): ConditionResult {
  const { matchField, matchRule, matchValue } = filter;
  if (matchField === null || matchRule === null) return 'match';
  if (matchValue === null || matchValue === '') return 'no_match';
  const headerName = filter.headerName?.trim().toLowerCase() ?? '';
  if (matchField === 'header' && headerName === '') return 'no_match';

  const key = valuesKey(matchField, headerName);
  let values = loweredValues.get(key);
  if (!values) {
    values = fieldValues(message, matchField, headerName).map((v) => v.trim().toLowerCase());
    loweredValues.set(key, values);
  }

  if (matchRule === 'regex') return regex(filter, values);
  const wanted = matchValue.toLowerCase();
  const matches = (() => {
    switch (matchRule) {
      case 'contains':
        return values.some((v) => v.includes(wanted));
      case 'not_contains':
        return !values.some((v) => v.includes(wanted));
      case 'equals':
        return values.some((v) => v === wanted);
      case 'starts_with':
        return values.some((v) => v.startsWith(wanted));
      case 'ends_with':
        return values.some((v) => v.endsWith(wanted));
    }
  })();
  return matches ? 'match' : 'no_match';
}

function fieldValues(message: FilterableMessage, field: MatchField, headerName: string): string[] {
  switch (field) {
    case 'from_address':
      return [message.fromAddress];
    case 'from_name':
      return [message.fromName];
    case 'to':
      return message.to.map(recipientAddress);
    case 'cc':
      return message.cc.map(recipientAddress);
    case 'subject':
      return [message.subject];
    case 'body':
      return [message.body.slice(0, BODY_MATCH_LIMIT)];
    case 'header':
      return message.headers[headerName] ?? [];
  }
}

/** "Sales <sales@acme.com>" → "sales@acme.com"; a bare address stays as it is. */
function recipientAddress(recipient: string): string {
  const bracketed = /<([^<>]*)>\s*$/.exec(recipient);
  return bracketed ? bracketed[1] : recipient;
}

function inOrder(filters: ProcessorFilterRule[]): ProcessorFilterRule[] {
  return [...filters].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function valuesKey(field: MatchField, headerName: string): string {
  return field === 'header' ? `header:${headerName}` : field;
}
