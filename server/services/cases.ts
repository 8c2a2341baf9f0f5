// Reading cases for the agent workspace: the list (filters, search, keyset pages) and one case's header.
// The thread of a case lives in case-thread.ts, agents' changes in case-actions.ts.
import { and, desc, eq, isNull, not, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../db/client';
import { casePriorities, caseMessages, cases, caseTypes, contacts, emailProcessors, users } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import {
  type CaseSearch,
  HIGHLIGHT_START,
  HIGHLIGHT_STOP,
  type HighlightSegment,
  parseCaseSearch,
  parseHighlight,
  termNeedsPhraseCheck,
} from '../domain/case-search';
import { AppError } from '../errors';
import { listCaseThread, type ThreadMessage } from './case-thread';

import type { CaseStatus } from '../domain/case-status';

export type { CaseStatus };

/**
 * Where the next page starts. The timestamp travels as text with microseconds: a JavaScript Date
 * keeps only milliseconds, and a cursor rounded to them would skip rows whose activity falls in the
 * same millisecond as the last row shown.
 */
export type CaseListCursor = { at: string; id: string; stage?: SearchStage };

/**
 * A search lists the cases whose subject matches first, then those where the words are only in a
 * message, a sender or an attachment name; each stage newest activity first, in keyset pages like
 * the list, so filters and "Load more" work the same with and without a search.
 */
export const SEARCH_STAGES = ['subject', 'elsewhere'] as const;
export type SearchStage = (typeof SEARCH_STAGES)[number];

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
  /** A message of the case failed DMARC at the processor's mail server (and the processor flags it). */
  senderFlagged: boolean;
  /** When searching: the subject with the matched words marked, and a piece of the best matching message. */
  match?: { subject: HighlightSegment[]; snippet: HighlightSegment[] };
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

// Search is Postgres full-text search with the 'leopard_search' configuration (drizzle/migrations:
// 'simple' words, accents removed, CJK one character a word). Each term becomes a phrase query of its
// words, so "jane@customer", "東京" and "late payment" match only as written, in order.
const SEARCH_CONFIG = sql`'leopard_search'::regconfig`;
const termQuery = (term: string) => sql`phraseto_tsquery(${SEARCH_CONFIG}, leopard_search_text(${term}::text))`;
const everyTerm = (terms: string[]) => sql`(${sql.join(terms.map(termQuery), sql` && `)})`;
const anyTerm = (terms: string[]) => sql`(${sql.join(terms.map(termQuery), sql` || `)})`;
// cases.search_vector has no positions: it can say which words a case has, not where.
const everyWord = (terms: string[]) => sql`plainto_tsquery(${SEARCH_CONFIG}, leopard_search_text(${terms.join(' ')}::text))`;

/**
 * The term occurs as written (in order, side by side) in the subject, a message or an attachment name.
 * Scalar subqueries with LIMIT 1 rather than EXISTS: inside an OR, Postgres would hash every matching
 * message of the table first (100,000 cases, a common phrase: ~250 ms), where this looks only at the
 * messages of the cases the word index let through, by case_messages_case_idx.
 */
function termFoundAsWritten(term: string): SQL {
  const q = termQuery(term);
  return sql`(${cases.subjectSearch} @@ ${q}
    or (select true from case_messages m
         where m.case_id = ${cases.id}
           and (m.search_vector @@ ${q}
                or (select true from attachments a
                     where a.case_message_id = m.id
                       and to_tsvector(${SEARCH_CONFIG}, leopard_attachment_search_text(a.filename)) @@ ${q}
                     limit 1) is not null)
         limit 1) is not null)`;
}

function subjectMatches(search: CaseSearch): SQL | undefined {
  return or(
    search.caseNumber !== null ? eq(cases.number, search.caseNumber) : undefined,
    search.terms.length ? sql`${cases.subjectSearch} @@ ${everyTerm(search.terms)}` : undefined,
  );
}

/**
 * The search condition of one stage. Only the first runs a condition on the subject index; the second
 * asks the whole-case word index (one GIN lookup, or a cheap check per case when the word is common
 * and the newest cases are walked in order), checks phrases against the messages, and leaves out what
 * the first stage listed.
 */
function searchCondition(search: CaseSearch, stage: SearchStage): SQL {
  const inSubject = subjectMatches(search) ?? sql`false`;
  if (stage === 'subject') return inSubject;
  if (!search.terms.length) return sql`false`;
  return and(
    sql`${cases.searchVector} @@ ${everyWord(search.terms)}`,
    ...search.terms.filter(termNeedsPhraseCheck).map(termFoundAsWritten),
    not(inSubject),
  )!;
}

function filterConditions(viewerId: string, filters: CaseListFilters, stage: SearchStage | null): Array<SQL | undefined> {
  const assignee = filters.mine ? viewerId : filters.assignee;
  const search = parseCaseSearch(filters.search);
  return [
    eq(cases.isSpam, filters.spam ?? false),
    // A merged case is only a pointer to the case it went into; asking for its number still finds it.
    search.exact ? undefined : isNull(cases.mergedIntoId),
    filters.status ? eq(cases.status, filters.status) : undefined,
    assignee === 'unassigned' ? isNull(cases.assignedToId) : assignee ? eq(cases.assignedToId, assignee) : undefined,
    filters.processorId ? eq(cases.processorId, filters.processorId) : undefined,
    filters.caseTypeId ? eq(cases.caseTypeId, filters.caseTypeId) : undefined,
    filters.casePriorityId ? eq(cases.casePriorityId, filters.casePriorityId) : undefined,
    search.text ? (search.exact ? eq(cases.number, search.caseNumber!) : searchCondition(search, stage ?? 'subject')) : undefined,
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
export function buildCaseListQuery({ db, viewerId, filters = {}, cursor, limit, stage = null }: ListCasesOptions & { stage?: SearchStage | null }) {
  const conditions = [
    ...filterConditions(viewerId, filters, stage),
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
      senderFlagged: sql<boolean>`exists (select 1 from ${caseMessages} where ${caseMessages.caseId} = ${page.id} and ${caseMessages.senderFlagged})`,
    })
    .from(page)
    .leftJoin(contacts, eq(contacts.id, page.contactId))
    .leftJoin(users, eq(users.id, page.assignedToId))
    .leftJoin(caseTypes, eq(caseTypes.id, page.caseTypeId))
    .leftJoin(casePriorities, eq(casePriorities.id, page.casePriorityId))
    .leftJoin(emailProcessors, eq(emailProcessors.id, page.processorId))
    .orderBy(desc(page.lastActivityAt), desc(page.id));
}

type CaseListRow = Awaited<ReturnType<typeof buildCaseListQuery>>[number];

function toListItem(row: CaseListRow): CaseListItem {
  return {
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
    senderFlagged: row.senderFlagged,
  };
}

// Where the second stage starts when the first ended exactly at a page boundary: before every case.
const STAGE_START = { at: '9999-12-31T00:00:00.000000Z', id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };

export async function listCases(options: ListCasesOptions): Promise<CaseListPage> {
  const search = parseCaseSearch(options.filters?.search);
  if (!search.text || search.exact) {
    const rows = await buildCaseListQuery(options);
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    const nextCursor = rows.length > options.limit && last ? { at: last.activityCursor, id: last.id } : null;
    return { items: page.map(toListItem), nextCursor };
  }
  // Prepared statements would soon get a generic plan, planned without knowing the words: the planner
  // could then not tell a common word (walk the newest cases) from a rare one (ask the index).
  return options.db.transaction(async (tx) => {
    await tx.execute(sql`set local plan_cache_mode = force_custom_plan`);
    const items: CaseListItem[] = [];
    let nextCursor: CaseListCursor | null = null;
    const first = SEARCH_STAGES.indexOf(options.cursor?.stage ?? 'subject');
    for (const stage of SEARCH_STAGES.slice(first)) {
      const room = options.limit - items.length;
      const cursor = stage === (options.cursor?.stage ?? 'subject') ? options.cursor : null;
      const rows = await buildCaseListQuery({ ...options, db: tx, cursor, limit: room, stage });
      const page = rows.slice(0, room);
      items.push(...page.map(toListItem));
      const last = page.at(-1);
      if (rows.length > room && last) {
        nextCursor = { at: last.activityCursor, id: last.id, stage };
        break;
      }
      if (items.length === options.limit) {
        // This stage ended exactly on the page's last row: is there a next stage to show?
        const next = SEARCH_STAGES[SEARCH_STAGES.indexOf(stage) + 1];
        if (next && (await buildCaseListQuery({ ...options, db: tx, cursor: null, limit: 0, stage: next })).length > 0) {
          nextCursor = { ...STAGE_START, stage: next };
        }
        break;
      }
    }
    await addMatches(tx, items, search);
    return { items, nextCursor };
  });
}

const HEADLINE_MARKS = `StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_STOP}`;
/** How much of a message ts_headline reads for its snippet: it parses all it is given. */
const SNIPPET_SOURCE_CHARS = 20_000;

/**
 * The matched words of each listed case: its subject with them marked, and a snippet of the message
 * that matches best (the earliest of equals), its sender and attachment names included. Only the
 * page's cases are read, so this costs the same whatever the number of matches.
 */
async function addMatches(db: DbOrTx, items: CaseListItem[], search: CaseSearch): Promise<void> {
  if (!items.length || !search.terms.length) return;
  const q = anyTerm(search.terms);
  const ids = items.map((i) => i.id);
  const rows = await db.execute<{ id: string; subject: string | null; snippet: string | null }>(sql`
    select c.id,
           ts_headline(${SEARCH_CONFIG}, leopard_search_text(c.subject), ${q}, ${`HighlightAll=true, ${HEADLINE_MARKS}`}) as subject,
           best.snippet
      from cases c
      left join lateral (
        select ts_headline(${SEARCH_CONFIG},
                 leopard_search_text(m.from_name || ' <' || m.from_address || '> ' || left(coalesce(m.text_body, ''), ${SNIPPET_SOURCE_CHARS})
                   || coalesce(' · ' || (select string_agg(a.filename, ' · ') from attachments a where a.case_message_id = m.id), '')),
                 ${q}, ${`MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", ${HEADLINE_MARKS}`}) as snippet
          from case_messages m
         where m.case_id = c.id
           and (m.search_vector @@ ${q}
                or exists (select 1 from attachments a where a.case_message_id = m.id
                           and to_tsvector(${SEARCH_CONFIG}, leopard_attachment_search_text(a.filename)) @@ ${q}))
         order by ts_rank(m.search_vector, ${q}) desc, m.created_at
         limit 1
      ) best on true
     where c.id in (${sql.join(
       ids.map((id) => sql`${id}::uuid`),
       sql`, `,
     )})`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const item of items) {
    const row = byId.get(item.id);
    const subject = parseHighlight(row?.subject);
    item.match = { subject: subject.length ? subject : [{ text: item.subject, match: false }], snippet: parseHighlight(row?.snippet) };
  }
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
  /** Set when an agent merged this case into another: the page points there (server/services/case-merge.ts). */
  mergedInto: { caseNumber: string; number: number } | null;
};

const managers = alias(users, 'managers');
const mergedTargets = alias(cases, 'merged_targets');

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
      mergedIntoNumber: mergedTargets.number,
    })
    .from(cases)
    .leftJoin(caseTypes, eq(caseTypes.id, cases.caseTypeId))
    .leftJoin(casePriorities, eq(casePriorities.id, cases.casePriorityId))
    .leftJoin(users, eq(users.id, cases.assignedToId))
    .leftJoin(managers, eq(managers.id, cases.managedById))
    .leftJoin(contacts, eq(contacts.id, cases.contactId))
    .leftJoin(emailProcessors, eq(emailProcessors.id, cases.processorId))
    .leftJoin(mergedTargets, eq(mergedTargets.id, cases.mergedIntoId))
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
    mergedInto: row.mergedIntoNumber === null ? null : { caseNumber: formatCaseNumber(row.mergedIntoNumber), number: row.mergedIntoNumber },
  };
}

export type CaseDetail = { case: CaseHeader; messages: ThreadMessage[] };

/** Everything the case page shows: the header and the thread, oldest message first. */
export async function getCase({ db, number }: { db: DbOrTx; number: number }): Promise<CaseDetail> {
  const header = await getCaseHeader({ db, number });
  return { case: header, messages: await listCaseThread({ db, caseId: header.id }) };
}
