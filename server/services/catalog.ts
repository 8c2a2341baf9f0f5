// Case types and priorities, for selects in filters and on cases.
import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { casePriorities, caseTypes } from '../db/schema';
import type { CaseSettings } from '../domain/match-filters';

export type CatalogEntry = { id: string; name: string; isDefault: boolean };

export async function listCatalog({ db }: { db: DbOrTx }): Promise<{ caseTypes: CatalogEntry[]; casePriorities: CatalogEntry[] }> {
  const columns = (t: typeof caseTypes | typeof casePriorities) => ({ id: t.id, name: t.name, isDefault: t.isDefault });
  const [types, priorities] = await Promise.all([
    db.select(columns(caseTypes)).from(caseTypes).orderBy(asc(caseTypes.position), asc(caseTypes.name)),
    db.select(columns(casePriorities)).from(casePriorities).orderBy(asc(casePriorities.position), asc(casePriorities.name)),
  ]);
  return { caseTypes: types, casePriorities: priorities };
}

/**
 * The case settings when no filter names them: the catalog's default type and priority, nobody assigned.
 * Intake and "Try a message" both read them here, so they agree: when several are marked default (nothing
 * forbids it), the one listed first (lowest position, then id) wins.
 */
export async function systemCaseDefaults({ db }: { db: DbOrTx }): Promise<CaseSettings> {
  const [[type], [priority]] = await Promise.all([
    db.select({ id: caseTypes.id }).from(caseTypes).where(eq(caseTypes.isDefault, true)).orderBy(asc(caseTypes.position), asc(caseTypes.id)).limit(1),
    db
      .select({ id: casePriorities.id })
      .from(casePriorities)
      .where(eq(casePriorities.isDefault, true))
      .orderBy(asc(casePriorities.position), asc(casePriorities.id))
      .limit(1),
  ]);
  return { caseTypeId: type?.id ?? null, casePriorityId: priority?.id ?? null, assignedToId: null, managedById: null };
}
