// What the case list's filters and a case's action form offer: people, mailboxes, types and priorities.
// Agents may not call the admin procedures that list users and processors, so this returns only
// what a picker needs (no roles, no mailbox settings).
import { asc } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { emailProcessors, users } from '../db/schema';
import { type CatalogEntry, listCatalog } from './catalog';

export type CaseOptions = {
  /** Inactive users stay listed (cases may still be theirs) but cannot be newly chosen. */
  users: Array<{ id: string; name: string; email: string; active: boolean }>;
  processors: Array<{ id: string; name: string; emailAddress: string }>;
  caseTypes: CatalogEntry[];
  casePriorities: CatalogEntry[];
};

export async function listCaseOptions({ db }: { db: DbOrTx }): Promise<CaseOptions> {
  const [people, processors, catalog] = await Promise.all([
    db
      .select({ id: users.id, name: users.name, email: users.email, active: users.active })
      .from(users)
      .orderBy(asc(users.name), asc(users.email)),
    db
      .select({ id: emailProcessors.id, name: emailProcessors.name, emailAddress: emailProcessors.emailAddress })
      .from(emailProcessors)
      .orderBy(asc(emailProcessors.name)),
    listCatalog({ db }),
  ]);
  return { users: people, processors, ...catalog };
}
