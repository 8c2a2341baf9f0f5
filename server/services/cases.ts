// Reading cases for the agent workspace: the list (filters, search, keyset pages) and one case's header.
// The thread of a case lives in case-thread.ts, agents' changes in case-actions.ts.
import { and, desc, eq, ilike, isNull, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../db/client';
import { casePriorities, caseMessages, cases, caseTypes, contacts, emailProcessors, users } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import { containsPattern, parseCaseSearch } from '../domain/case-search';
import { AppError } from '../errors';
import { listCaseThread, type ThreadMessage } from './case-thread';

export type CaseStatus = 'new' | 'open' | 'pending' | 'closed';

/**
 * Where the next page starts. The timestamp travels as text with microseconds: a JavaScript Date
 * keeps only milliseconds, and a cursor rounded to them would skip rows whose activity falls in the
 * same millisecond as the last row shown.
 */
export type CaseListCursor = { at: string; id: string };

export type CaseListFilters = {
  status?: CaseStatus | null;
  processorId?: string | null;
  /** A user's id, or 'unassigned'. */
  assignee?: string | null;
  /** Only the viewer's cases; wins over `assignee`. */
  mine?: boolean;
  caseTypeId?: string | null;
  casePriorityId?: string | null;
  /** Spam is hidden by default; true shows only spam. */
  spam?: boolean;
  search?: string | null;
};

export type CaseListItem = {
  id: string;
  caseNumber: string;
  subject: string;
  status: CaseStatus;
  isSpam: boolean;
  lastActivityAt: Date;
  contact: { id: string; email: string; name: string } | null;
  assignee: { id: string; name: string } | null;
  caseType: string | null;
  priority: string | null;
  processor: string | null;
};

export type CaseListPage = { items: CaseListItem[]; nextCursor: CaseListCursor | null };

export type ListCasesOptions = {
  db: DbOrTx;
  viewerId: string;
  filters?: CaseListFilters;
  cursor?: CaseListCursor | null;
  limit: number;
};

export function contactName(contact: { firstName: string; lastName: string; email: string }): string {
  return [contact.firstName, contact.lastName].filter(Boolean).join(' ') || contact.email;
}

// Written as `IN (subquery)` rather than EXISTS: inside an OR, Postgres runs an EXISTS once per case,
// but hashes an uncorrelated IN list once per query (100,000 cases, a term that matches nothing:
// ~630 ms → ~200 ms on a 2-core machine). A case number written as LC… is a single index lookup.
function textConditions(pattern: string): SQL[] {
  return [
    ilike(cases.subject, pattern),
    sql`${cases.contactId} in (select ${contacts.id} from ${contacts} where ${contacts.email} ilike ${pattern})`,
    // The contact may be gone (spam), or have another address than the one that wrote.
    sql`${cases.id} in (select ${caseMessages.caseId} from ${caseMessages} where ${caseMessages.direction} = 'inbound' and ${caseMessages.fromAddress} ilike ${pattern})`,
  ];
}

function filterConditions(viewerId: string, filters: CaseListFilters): Array<SQL | undefined> {
  const assignee = filters.mine ? viewerId : filters.assignee;
  const search = parseCaseSearch(filters.search);
  return [
    eq(cases.isSpam, filters.spam ?? false),
    filters.status ? eq(cases.status, filters.status) : undefined,
    assignee === 'unassigned' ? isNull(cases.assignedToId) : assignee ? eq(cases.assignedToId, assignee) : undefined,
    filters.processorId ? eq(cases.processorId, filters.processorId) : undefined,
    filters.caseTypeId ? eq(cases.caseTypeId, filters.caseTypeId) : undefined,
    filters.casePriorityId ? eq(cases.casePriorityId, filters.casePriorityId) : undefined,
    search.text
      ? or(
          search.caseNumber !== null ? eq(cases.number, search.caseNumber) : undefined,
          ...(search.exact ? [] : textConditions(containsPattern(search.text))),
        )
      : undefined,
  ];
}

// drizzle creates the activity indexes as `desc nulls last`, while a plain `desc` means
// `nulls first` in Postgres: written plainly, the order would not match the indexes and every
// page would scan and sort the whole table. The columns are not null, so the results are the same.
const LIST_ORDER = [sql`${cases.lastActivityAt} desc nulls last`, sql`${cases.id} desc nulls last`];

/**
 * The list query, unexecuted, so that tests can EXPLAIN exactly what runs. The page of cases is
 * chosen first, from `cases` alone, and only its rows are joined to their names: joined all at once,
 * the planner prefers hashing every case and sorting. Keyset pagination on (last_activity_at, id)
 * with a row comparison reads one range of cases_activity_idx (or the assignee/status index), so
 * page 500 costs what page 1 costs.
 */
export function buildCaseListQuery({ db, viewerId, filters = {}, cursor, limit }: ListCasesOptions) {
  const conditions = [
    ...filterConditions(viewerId, filters),
    cursor ? sql`(${cases.lastActivityAt}, ${cases.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : undefined,
  ].filter((c): c is SQL => c !== undefined);
  const page = db
    .select({
      id: cases.id,
      number: cases.number,
      subject: cases.subject,
      status: cases.status,
      isSpam: cases.isSpam,
      lastActivityAt: cases.lastActivityAt,
      activityCursor: sql<string>`to_char(${cases.lastActivityAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
        'activity_cursor',
      ),
      contactId: cases.contactId,
      assignedToId: cases.assignedToId,
      caseTypeId: cases.caseTypeId,
      casePriorityId: cases.casePriorityId,
      processorId: cases.processorId,
    })
    .from(cases)
    .where(and(...conditions))
    .orderBy(...LIST_ORDER)
    .limit(limit + 1)
    .as('page');
  return db
    .select({
      id: page.id,
      number: page.number,
      subject: page.subject,
      status: page.status,
      isSpam: page.isSpam,
      lastActivityAt: page.lastActivityAt,
      activityCursor: page.activityCursor,
      contactId: contacts.id,
      contactEmail: contacts.email,
      contactFirstName: contacts.firstName,
      contactLastName: contacts.lastName,
      assigneeId: users.id,
      assigneeName: users.name,
      caseType: caseTypes.name,
      priority: casePriorities.name,
      processor: emailProcessors.name,
    })
    .from(page)
    .leftJoin(contacts, eq(contacts.id, page.contactId))
    .leftJoin(users, eq(users.id, page.assignedToId))
    .leftJoin(caseTypes, eq(caseTypes.id, page.caseTypeId))
    .leftJoin(casePriorities, eq(casePriorities.id, page.casePriorityId))
    .leftJoin(emailProcessors, eq(emailProcessors.id, page.processorId))
    .orderBy(desc(page.lastActivityAt), desc(page.id));
}

export async function listCases(options: ListCasesOptions): Promise<CaseListPage> {
  const rows = await buildCaseListQuery(options);
  const page = rows.slice(0, options.limit);
  const items = page.map(
    (row): CaseListItem => ({
      id: row.id,
      caseNumber: formatCaseNumber(row.number),
      subject: row.subject,
      status: row.status,
      isSpam: row.isSpam,
      lastActivityAt: row.lastActivityAt,
      contact: row.contactId
        ? {
            id: row.contactId,
            email: row.contactEmail ?? '',
            name: contactName({ firstName: row.contactFirstName ?? '', lastName: row.contactLastName ?? '', email: row.contactEmail ?? '' }),
          }
        : null,
      assignee: row.assigneeId ? { id: row.assigneeId, name: row.assigneeName ?? '' } : null,
      caseType: row.caseType,
      priority: row.priority,
      processor: row.processor,
    }),
  );
  const last = page.at(-1);
  const nextCursor = rows.length > options.limit && last ? { at: last.activityCursor, id: last.id } : null;
  return { items, nextCursor };
}

export type CaseHeader = {
  id: string;
  caseNumber: string;
  subject: string;
  status: CaseStatus;
  isSpam: boolean;
  notes: string[];
  createdAt: Date;
  lastActivityAt: Date;
  caseType: { id: string; name: string } | null;
  priority: { id: string; name: string } | null;
  assignee: { id: string; name: string } | null;
  manager: { id: string; name: string } | null;
  contact: { id: string; email: string; name: string } | null;
  processor: { id: string; name: string; emailAddress: string } | null;
};

const managers = alias(users, 'managers');

export async function getCaseHeader({ db, number }: { db: DbOrTx; number: number }): Promise<CaseHeader> {
  const [row] = await db
    .select({
      case: cases,
      caseTypeName: caseTypes.name,
      priorityName: casePriorities.name,
      assigneeName: users.name,
      managerName: managers.name,
      contact: { id: contacts.id, email: contacts.email, firstName: contacts.firstName, lastName: contacts.lastName },
      processor: { id: emailProcessors.id, name: emailProcessors.name, emailAddress: emailProcessors.emailAddress },
    })
    .from(cases)
    .leftJoin(caseTypes, eq(caseTypes.id, cases.caseTypeId))
    .leftJoin(casePriorities, eq(casePriorities.id, cases.casePriorityId))
    .leftJoin(users, eq(users.id, cases.assignedToId))
    .leftJoin(managers, eq(managers.id, cases.managedById))
    .leftJoin(contacts, eq(contacts.id, cases.contactId))
    .leftJoin(emailProcessors, eq(emailProcessors.id, cases.processorId))
    .where(eq(cases.number, number));
  if (!row) throw new AppError('NOT_FOUND', `There is no case ${formatCaseNumber(number)}.`);
  const c = row.case;
  const named = (id: string | null, name: string | null) => (id ? { id, name: name ?? '' } : null);
  return {
    id: c.id,
    caseNumber: formatCaseNumber(c.number),
    subject: c.subject,
    status: c.status,
    isSpam: c.isSpam,
    notes: c.notes,
    createdAt: c.createdAt,
    lastActivityAt: c.lastActivityAt,
    caseType: named(c.caseTypeId, row.caseTypeName),
    priority: named(c.casePriorityId, row.priorityName),
    assignee: named(c.assignedToId, row.assigneeName),
    manager: named(c.managedById, row.managerName),
    contact: row.contact ? { id: row.contact.id, email: row.contact.email, name: contactName(row.contact) } : null,
    processor: row.processor,
  };
}

export type CaseDetail = { case: CaseHeader; messages: ThreadMessage[] };

/** Everything the case page shows: the header and the thread, oldest message first. */
export async function getCase({ db, number }: { db: DbOrTx; number: number }): Promise<CaseDetail> {
  const header = await getCaseHeader({ db, number });
  return { case: header, messages: await listCaseThread({ db, caseId: header.id }) };
}
