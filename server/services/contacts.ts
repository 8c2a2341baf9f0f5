// Contacts: the people who write in. Mail creates them (server/services/ingest*.ts); agents look
// them up and correct names and addresses here. Several contacts may share an address (the seed
// allows it, and contact matching narrows by name), so the address is not unique.
import { and, desc, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client';
import { cases, contacts } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import { containsPattern } from '../domain/case-search';
import { AppError } from '../errors';
import { type AuditActor, recordAudit } from './audit';
import { type CaseStatus, contactName } from './cases';

export type ContactListItem = {
  id: string;
  firstName: string;
  lastName: string;
  name: string;
  email: string;
  caseCount: number;
  createdAt: Date;
};

/** Newest first; `at` carries microseconds for the same reason as the case list's cursor. */
export type ContactListCursor = { at: string; id: string };

export type ListContactsOptions = { db: DbOrTx; search?: string | null; cursor?: ContactListCursor | null; limit: number };

export async function listContacts({ db, search, cursor, limit }: ListContactsOptions) {
  const term = search?.trim();
  const pattern = term ? containsPattern(term) : null;
  const conditions: Array<SQL | undefined> = [
    pattern
      ? or(
          ilike(contacts.email, pattern),
          ilike(contacts.firstName, pattern),
          ilike(contacts.lastName, pattern),
          ilike(sql`${contacts.firstName} || ' ' || ${contacts.lastName}`, pattern),
        )
      : undefined,
    cursor ? sql`(${contacts.createdAt}, ${contacts.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : undefined,
  ];
  const rows = await db
    .select({
      id: contacts.id,
      firstName: contacts.firstName,
      lastName: contacts.lastName,
      email: contacts.email,
      createdAt: contacts.createdAt,
      createdCursor: sql<string>`to_char(${contacts.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      caseCount: sql<number>`(select count(*)::int from ${cases} where ${cases.contactId} = ${contacts.id})`,
    })
    .from(contacts)
    .where(and(...conditions))
    .orderBy(desc(contacts.createdAt), desc(contacts.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const items: ContactListItem[] = page.map(({ createdCursor: _cursor, ...row }) => ({ ...row, name: contactName(row) }));
  const last = page.at(-1);
  return { items, nextCursor: rows.length > limit && last ? { at: last.createdCursor, id: last.id } : null };
}

export type ContactCase = { id: string; caseNumber: string; subject: string; status: CaseStatus; isSpam: boolean; lastActivityAt: Date };

export type ContactDetail = Omit<ContactListItem, 'caseCount'> & {
  createdByCase: { caseNumber: string } | null;
  cases: ContactCase[];
};

/** A contact and all their cases, newest activity first (contacts rarely have more than a handful). */
export async function getContact({ db, id }: { db: DbOrTx; id: string }): Promise<ContactDetail> {
  const [contact] = await db.select().from(contacts).where(eq(contacts.id, id));
  if (!contact) throw new AppError('NOT_FOUND', 'This contact does not exist (it may have been deleted as spam).');
  const [theirCases, createdBy] = await Promise.all([
    db
      .select({
        id: cases.id,
        number: cases.number,
        subject: cases.subject,
        status: cases.status,
        isSpam: cases.isSpam,
        lastActivityAt: cases.lastActivityAt,
      })
      .from(cases)
      .where(eq(cases.contactId, id))
      .orderBy(desc(cases.lastActivityAt), desc(cases.id)),
    contact.createdByCaseId
      ? db.select({ number: cases.number }).from(cases).where(eq(cases.id, contact.createdByCaseId))
      : Promise.resolve([]),
  ]);
  return {
    id: contact.id,
    firstName: contact.firstName,
    lastName: contact.lastName,
    name: contactName(contact),
    email: contact.email,
    createdAt: contact.createdAt,
    createdByCase: createdBy[0] ? { caseNumber: formatCaseNumber(createdBy[0].number) } : null,
    cases: theirCases.map(({ number, ...c }) => ({ ...c, caseNumber: formatCaseNumber(number) })),
  };
}

export type UpdateContactOptions = {
  db: Database;
  actor: AuditActor;
  input: { id: string; firstName: string; lastName: string; email: string };
};

export async function updateContact({ db, actor, input }: UpdateContactOptions): Promise<ContactDetail> {
  await db.transaction(async (tx) => {
    const [current] = await tx.select().from(contacts).where(eq(contacts.id, input.id)).for('update');
    if (!current) throw new AppError('NOT_FOUND', 'This contact does not exist (it may have been deleted as spam).');
    const next = { firstName: input.firstName.trim(), lastName: input.lastName.trim(), email: input.email.trim() };
    const changed = (Object.keys(next) as Array<keyof typeof next>).filter((k) => next[k] !== current[k]);
    if (changed.length === 0) return;
    await tx.update(contacts).set(next).where(eq(contacts.id, input.id));
    await recordAudit({
      db: tx,
      actor,
      action: 'contact.updated',
      entityType: 'contact',
      entityId: input.id,
      details: Object.fromEntries(changed.map((k) => [k, { from: current[k], to: next[k] }])),
    });
  });
  return getContact({ db, id: input.id });
}
