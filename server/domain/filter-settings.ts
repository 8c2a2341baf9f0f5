// The processor filter form (seed: "Setting up an Email Processor Filter", built out to the
// "future versions" it promised): a condition, an order, and the case fields it sets.
import { z } from 'zod';
import { MATCH_FIELDS, MATCH_RULES } from './filter-fields';

const optionalId = z.uuid().nullable();

export const filterSettingsSchema = z.object({
  processorId: z.uuid(),
  matchField: z.enum(MATCH_FIELDS).nullable(),
  headerName: z.string().trim().max(200).nullable(),
  matchRule: z.enum(MATCH_RULES).nullable(),
  matchValue: z.string().max(500, 'Keep the value under 500 characters.').nullable(),
  priority: z.coerce.number('Enter a number.').int('Enter a whole number.').min(0, 'Use 0 or more.').max(1_000_000),
  stopFiltering: z.boolean(),
  caseTypeId: optionalId,
  casePriorityId: optionalId,
  assignedToId: optionalId,
  managedById: optionalId,
});

export const updateFilterSchema = filterSettingsSchema.omit({ processorId: true }).extend({ id: z.uuid() });

export type FilterSettingsInput = z.infer<typeof filterSettingsSchema>;
export type UpdateFilterInput = z.infer<typeof updateFilterSchema>;

export const MATCH_FIELD_LABELS: Record<(typeof MATCH_FIELDS)[number], string> = {
  from_address: 'From address',
  from_name: 'From name',
  to: 'To',
  cc: 'Cc',
  subject: 'Subject',
  body: 'Body',
  header: 'Header',
};

export const MATCH_RULE_LABELS: Record<(typeof MATCH_RULES)[number], string> = {
  contains: 'contains',
  not_contains: 'does not contain',
  equals: 'equals',
  starts_with: 'starts with',
  ends_with: 'ends with',
  regex: 'matches regular expression',
};

/** Priorities after a drag or move: spaced by ten so a single insert needs no renumbering. */
export function priorityOrder(ids: string[]): Array<{ id: string; priority: number }> {
  return ids.map((id, index) => ({ id, priority: (index + 1) * 10 }));
}
