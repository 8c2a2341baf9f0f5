// Case types and priorities, for selects in filters and on cases.
import { asc } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { casePriorities, caseTypes } from '../db/schema';

export type CatalogEntry = { id: string; name: string; isDefault: boolean };

export async function listCatalog({ db }: { db: DbOrTx }): Promise<{ caseTypes: CatalogEntry[]; casePriorities: CatalogEntry[] }> {
  const columns = (t: typeof caseTypes | typeof casePriorities) => ({ id: t.id, name: t.name, isDefault: t.isDefault });
  const [types, priorities] = await Promise.all([
    db.select(columns(caseTypes)).from(caseTypes).orderBy(asc(caseTypes.position), asc(caseTypes.name)),
    db.select(columns(casePriorities)).from(casePriorities).orderBy(asc(casePriorities.position), asc(casePriorities.name)),
  ]);
  return { caseTypes: types, casePriorities: priorities };
}
