// Processor filters: CRUD, ordering, and "try a sample message" for the admin page.
// The matching itself is server/domain/match-filters.ts; this module only stores and loads.
import { and, asc, count, eq, inArray } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client';
import { casePriorities, caseTypes, emailProcessors, processorFilters, users } from '../db/schema';
import type { FilterSettingsInput, UpdateFilterInput } from '../domain/filter-settings';
import { MAX_FILTERS_PER_PROCESSOR } from '../domain/filter-fields';
import { priorityOrder } from '../domain/filter-settings';
import {
  type FilterOutcome,
  matchFilters,
  type ProcessorFilterRule,
  validateFilterCondition,
} from '../domain/match-filters';
import { MESSAGE_REGEX_BUDGET_MS, TOO_SLOW_MESSAGE } from '../domain/filter-regex';
import { AppError } from '../errors';
import { parseInbound, toFilterableMessage } from '../mail/parse-message';
import { type AuditActor, recordAudit } from './audit';
import { systemCaseDefaults } from './catalog';
import { patternFinishesInTime, regexVerdictsFor } from './filter-regex-pool';
import { notifyProcessorChanged } from './processors';

export type FilterView = ProcessorFilterRule & { processorId: string; createdAt: Date; updatedAt: Date };

export async function loadFilterRules({ db, processorId }: { db: DbOrTx; processorId: string }): Promise<FilterView[]> {
  return db
    .select({
      id: processorFilters.id,
      processorId: processorFilters.processorId,
      priority: processorFilters.priority,
      matchField: processorFilters.matchField,
      headerName: processorFilters.headerName,
      matchRule: processorFilters.matchRule,
      matchValue: processorFilters.matchValue,
      stopFiltering: processorFilters.stopFiltering,
      caseTypeId: processorFilters.caseTypeId,
      casePriorityId: processorFilters.casePriorityId,
      assignedToId: processorFilters.assignedToId,
      managedById: processorFilters.managedById,
      createdAt: processorFilters.createdAt,
      updatedAt: processorFilters.updatedAt,
    })
    .from(processorFilters)
    .where(eq(processorFilters.processorId, processorId))
    .orderBy(asc(processorFilters.priority), asc(processorFilters.id));
}

type FilterFields = Omit<FilterSettingsInput, 'processorId'>;

// A condition with a field but no rule is half-filled; both empty is the default filter.
function normalise(input: FilterFields): FilterFields {
  const isDefault = input.matchField === null && input.matchRule === null;
  return {
    ...input,
    headerName: input.matchField === 'header' ? input.headerName?.trim().toLowerCase() || null : null,
    matchValue: isDefault ? null : input.matchValue,
  };
}

async function validate(db: DbOrTx, input: FilterFields): Promise<void> {
  const fieldErrors: Record<string, string> = { ...validateFilterCondition(input) } as Record<string, string>;
  // RE2 refuses what could take unbounded time; this catches what is merely too slow for real mail.
  if (input.matchRule === 'regex' && !fieldErrors.matchValue && input.matchValue && !(await patternFinishesInTime(input.matchValue))) {
    fieldErrors.matchValue = TOO_SLOW_MESSAGE;
  }
  const userIds = [input.assignedToId, input.managedById].filter((v): v is string => v !== null);
  if (userIds.length > 0) {
    const found = await db.select({ id: users.id, active: users.active }).from(users).where(inArray(users.id, userIds));
    const active = new Set(found.filter((u) => u.active).map((u) => u.id));
    if (input.assignedToId && !active.has(input.assignedToId)) fieldErrors.assignedToId = 'Choose an active user.';
    if (input.managedById && !active.has(input.managedById)) fieldErrors.managedById = 'Choose an active user.';
  }
  if (input.caseTypeId) {
    const [t] = await db.select({ id: caseTypes.id }).from(caseTypes).where(eq(caseTypes.id, input.caseTypeId));
    if (!t) fieldErrors.caseTypeId = 'Choose a case type from the list.';
  }
  if (input.casePriorityId) {
    const [p] = await db.select({ id: casePriorities.id }).from(casePriorities).where(eq(casePriorities.id, input.casePriorityId));
    if (!p) fieldErrors.casePriorityId = 'Choose a priority from the list.';
  }
  if (Object.keys(fieldErrors).length > 0) {
    throw new AppError('VALIDATION', 'Some fields need attention.', { fieldErrors });
  }
}

export async function createFilter({ db, actor, input }: { db: Database; actor: AuditActor; input: FilterSettingsInput }) {
  const { processorId, ...fields } = input;
  const values = normalise(fields);
  return db.transaction(async (tx) => {
    // Locked so two admins adding filters at once cannot both pass the limit.
    const [processor] = await tx.select({ id: emailProcessors.id }).from(emailProcessors).where(eq(emailProcessors.id, processorId)).for('update');
    if (!processor) throw new AppError('NOT_FOUND', 'No such email processor.');
    const [{ value: existing }] = await tx.select({ value: count() }).from(processorFilters).where(eq(processorFilters.processorId, processorId));
    if (existing >= MAX_FILTERS_PER_PROCESSOR) {
      const message = `This processor already has ${MAX_FILTERS_PER_PROCESSOR} filters, the most it can have: every message runs through all of them. Combine or delete some first.`;
      throw new AppError('VALIDATION', message, { fieldErrors: { matchField: message } });
    }
    await validate(tx, values);
    const [created] = await tx.insert(processorFilters).values({ processorId, ...values }).returning({ id: processorFilters.id });
    await recordAudit({ db: tx, actor, action: 'filter.created', entityType: 'filter', entityId: created.id, details: { processorId, ...values } });
    await notifyProcessorChanged(tx, processorId);
    return created;
  });
}

export async function updateFilter({ db, actor, input }: { db: Database; actor: AuditActor; input: UpdateFilterInput }) {
  const { id, ...fields } = input;
  const values = normalise(fields);
  return db.transaction(async (tx) => {
    await validate(tx, values);
    const [updated] = await tx
      .update(processorFilters)
      .set(values)
      .where(eq(processorFilters.id, id))
      .returning({ id: processorFilters.id, processorId: processorFilters.processorId });
    if (!updated) throw new AppError('NOT_FOUND', 'No such filter.');
    await recordAudit({ db: tx, actor, action: 'filter.updated', entityType: 'filter', entityId: id, details: values });
    await notifyProcessorChanged(tx, updated.processorId);
    return updated;
  });
}

export async function deleteFilter({ db, actor, id }: { db: Database; actor: AuditActor; id: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const [deleted] = await tx.delete(processorFilters).where(eq(processorFilters.id, id)).returning({ processorId: processorFilters.processorId });
    if (!deleted) throw new AppError('NOT_FOUND', 'No such filter.');
    await recordAudit({ db: tx, actor, action: 'filter.deleted', entityType: 'filter', entityId: id, details: { processorId: deleted.processorId } });
    await notifyProcessorChanged(tx, deleted.processorId);
  });
}

export async function reorderFilters({ db, actor, processorId, orderedIds }: { db: Database; actor: AuditActor; processorId: string; orderedIds: string[] }) {
  await db.transaction(async (tx) => {
    const existing = await tx.select({ id: processorFilters.id }).from(processorFilters).where(eq(processorFilters.processorId, processorId));
    const known = new Set(existing.map((f) => f.id));
    if (orderedIds.length !== known.size || orderedIds.some((id) => !known.has(id))) {
      throw new AppError('CONFLICT', 'The filters changed while you were ordering them; reload and try again.');
    }
    for (const { id, priority } of priorityOrder(orderedIds)) {
      await tx.update(processorFilters).set({ priority }).where(and(eq(processorFilters.id, id), eq(processorFilters.processorId, processorId)));
    }
    await recordAudit({ db: tx, actor, action: 'filter.reordered', entityType: 'processor', entityId: processorId, details: { orderedIds } });
    await notifyProcessorChanged(tx, processorId);
  });
}

export type TryFiltersResult = FilterOutcome & { subject: string; from: string };

/** Runs a pasted message through a processor's filters without storing anything. */
export async function tryFilters({ db, processorId, raw }: { db: Database; processorId: string; raw: string }): Promise<TryFiltersResult> {
  const bytes = Buffer.from(raw.replace(/\r?\n/g, '\r\n'), 'utf8');
  let parsed: Awaited<ReturnType<typeof parseInbound>>;
  try {
    parsed = await parseInbound(bytes);
  } catch (err) {
    throw new AppError('VALIDATION', `This does not read as an email: ${err instanceof Error ? err.message : String(err)}`, {
      fieldErrors: { raw: 'Paste the whole message, headers first, then a blank line, then the body.' },
    });
  }
  const [rules, defaults] = await Promise.all([loadFilterRules({ db, processorId }), systemCaseDefaults({ db })]);
  // The same path as intake: regular expressions on the filter thread, under the same budget per message.
  const message = toFilterableMessage(parsed);
  const regexVerdicts = await regexVerdictsFor(message, rules);
  const outcome = matchFilters(message, rules, defaults, { regexVerdicts, regexBudgetMs: MESSAGE_REGEX_BUDGET_MS });
  return { ...outcome, subject: parsed.subject, from: parsed.from?.address ?? '' };
}
