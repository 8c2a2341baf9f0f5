// Reading cases for the agent workspace.
import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Database } from '../db/client';
import { cases, contacts } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';

export type CaseListCursor = { lastActivityAt: Date; id: string };
export type CaseListItem = {
  id: string;
  caseNumber: string;
  subject: string;
  status: 'new' | 'open' | 'pending' | 'closed';
  isSpam: boolean;
  contactEmail: string | null;
  lastActivityAt: Date;
};

export type ListCasesOptions = {
  db: Database;
  limit: number;
  cursor?: CaseListCursor | null;
  assignedToId?: string | null;
};

// Keyset pagination on (last_activity_at, id): every page is an index range scan.
export async function listCases({ db, limit, cursor, assignedToId }: ListCasesOptions) {
  const conditions = [
    assignedToId ? eq(cases.assignedToId, assignedToId) : undefined,
    cursor
      ? or(
          lt(cases.lastActivityAt, cursor.lastActivityAt),
          and(eq(cases.lastActivityAt, cursor.lastActivityAt), lt(cases.id, cursor.id)),
        )
      : undefined,
  ].filter(Boolean);
  const rows = await db
    .select({
      id: cases.id,
      number: cases.number,
      subject: cases.subject,
      status: cases.status,
      isSpam: cases.isSpam,
      contactEmail: contacts.email,
      lastActivityAt: cases.lastActivityAt,
    })
    .from(cases)
    .leftJoin(contacts, eq(contacts.id, cases.contactId))
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(cases.lastActivityAt), desc(cases.id))
    .limit(limit + 1);
  const items: CaseListItem[] = rows.slice(0, limit).map(({ number, ...row }) => ({
    ...row,
    caseNumber: formatCaseNumber(number),
  }));
  const last = items.at(-1);
  const nextCursor = rows.length > limit && last ? { lastActivityAt: last.lastActivityAt, id: last.id } : null;
  return { items, nextCursor };
}
