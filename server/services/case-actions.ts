// What agents do to a case: change its status, people, type and priority; mark it as spam and back.
// Each action runs in one transaction that also writes the audit row and NOTIFYs `case.updated`,
// so the change, its record and its announcement commit together or not at all.
import { and, count, eq, ne, sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/client';
import { casePriorities, cases, caseTypes, contacts, users } from '../db/schema';
import { formatCaseNumber } from '../domain/case-number';
import { decideSpamContact, type SpamOutcome } from '../domain/spam-contact-rule';
import { AppError, type FieldErrors } from '../errors';
import { type AuditActor, recordAudit } from './audit';
import { caseEventSummary, publishCaseEvent } from './case-events';
import type { CaseStatus } from './cases';

/** Fields left out are not changed; null clears a field. */
export type CaseChanges = {
  status?: CaseStatus;
  assignedToId?: string | null;
  managedById?: string | null;
  caseTypeId?: string | null;
  casePriorityId?: string | null;
};

export type UpdateCaseOptions = { db: Database; actor: AuditActor; caseId: string; changes: CaseChanges };

export type UpdateCaseResult = { caseNumber: string; changed: Array<keyof CaseChanges> };

async function lockCase(tx: Transaction, caseId: string) {
  const [row] = await tx.select().from(cases).where(eq(cases.id, caseId)).for('update');
  if (!row) throw new AppError('NOT_FOUND', 'This case no longer exists.');
  return row;
}

async function checkReferences(tx: Transaction, changes: CaseChanges): Promise<void> {
  const errors: FieldErrors = {};
  const activeUser = async (id: string) =>
    (await tx.select({ id: users.id }).from(users).where(and(eq(users.id, id), eq(users.active, true)))).length > 0;
  if (changes.assignedToId && !(await activeUser(changes.assignedToId))) errors.assignedToId = 'Choose an active user.';
  if (changes.managedById && !(await activeUser(changes.managedById))) errors.managedById = 'Choose an active user.';
  if (changes.caseTypeId && (await tx.select({ id: caseTypes.id }).from(caseTypes).where(eq(caseTypes.id, changes.caseTypeId))).length === 0) {
    errors.caseTypeId = 'This case type no longer exists.';
  }
  if (
    changes.casePriorityId &&
    (await tx.select({ id: casePriorities.id }).from(casePriorities).where(eq(casePriorities.id, changes.casePriorityId))).length === 0
  ) {
    errors.casePriorityId = 'This priority no longer exists.';
  }
  if (Object.keys(errors).length) throw new AppError('VALIDATION', 'Some of the chosen values are not available.', { fieldErrors: errors });
}

export async function updateCase({ db, actor, caseId, changes }: UpdateCaseOptions): Promise<UpdateCaseResult> {
  return db.transaction(async (tx) => {
    const current = await lockCase(tx, caseId);
    await checkReferences(tx, changes);
    const fields = (Object.keys(changes) as Array<keyof CaseChanges>).filter(
      (field) => changes[field] !== undefined && changes[field] !== current[field],
    );
    const caseNumber = formatCaseNumber(current.number);
    if (fields.length === 0) return { caseNumber, changed: [] };

    const set = Object.fromEntries(fields.map((field) => [field, changes[field]]));
    const [updated] = await tx
      .update(cases)
      // An agent's change moves the case to the top of everyone's list, like new mail does.
      .set({ ...set, lastActivityAt: sql`now()` })
      .where(eq(cases.id, caseId))
      .returning();
    await recordAudit({
      db: tx,
      actor,
      action: 'case.updated',
      entityType: 'case',
      entityId: caseId,
      details: { caseNumber, changes: Object.fromEntries(fields.map((f) => [f, { from: current[f], to: changes[f] }])) },
    });
    await publishCaseEvent(tx, { type: 'case.updated', case: caseEventSummary(updated), actorId: actor.id });
    return { caseNumber, changed: fields };
  });
}

export type SetCaseSpamOptions = { db: Database; actor: AuditActor; caseId: string; spam: boolean };

async function applySpamContactRule(tx: Transaction, actor: AuditActor, caseRow: { id: string; contactId: string | null; number: number }) {
  if (!caseRow.contactId) return { kind: 'none' } as const;
  // Locking the contact first makes a concurrent intake that attaches a new case to it either
  // commit before we count (and keep the contact) or wait and find it gone.
  const [contact] = await tx.select().from(contacts).where(eq(contacts.id, caseRow.contactId)).for('update');
  if (!contact) return { kind: 'none' } as const;
  const [{ value: otherNonSpamCases }] = await tx
    .select({ value: count() })
    .from(cases)
    .where(and(eq(cases.contactId, contact.id), ne(cases.id, caseRow.id), eq(cases.isSpam, false)));
  const decision = decideSpamContact({ caseId: caseRow.id, contact, otherNonSpamCases });
  if (decision.action === 'delete') {
    await tx.delete(contacts).where(eq(contacts.id, contact.id));
    await recordAudit({
      db: tx,
      actor,
      action: 'contact.deleted',
      entityType: 'contact',
      entityId: contact.id,
      details: { email: contact.email, reason: `created by ${formatCaseNumber(caseRow.number)}, which was marked as spam` },
    });
    return { kind: 'deleted', email: contact.email } as const;
  }
  if (decision.reason === 'has_other_cases') {
    return { kind: 'kept', email: contact.email, reason: 'has_other_cases', otherCases: otherNonSpamCases } as const;
  }
  return { kind: 'kept', email: contact.email, reason: 'not_created_by_this_case' } as const;
}

/**
 * Marks a case as spam (applying the seed's contact rule) or back. Marking it not spam again does
 * not bring back a contact that was deleted: the address may be a spammer's, and the next real
 * mail from it creates a fresh contact anyway.
 */
export async function setCaseSpam({ db, actor, caseId, spam }: SetCaseSpamOptions): Promise<SpamOutcome> {
  return db.transaction(async (tx) => {
    const current = await lockCase(tx, caseId);
    if (current.isSpam === spam) return { spam, changed: false, contact: { kind: 'none' } };
    const contact: SpamOutcome['contact'] = spam ? await applySpamContactRule(tx, actor, current) : { kind: 'none' };
    const [updated] = await tx
      .update(cases)
      .set({ isSpam: spam, lastActivityAt: sql`now()` })
      .where(eq(cases.id, caseId))
      .returning();
    await recordAudit({
      db: tx,
      actor,
      action: spam ? 'case.marked_spam' : 'case.marked_not_spam',
      entityType: 'case',
      entityId: caseId,
      details: { caseNumber: formatCaseNumber(current.number), contact },
    });
    await publishCaseEvent(tx, { type: 'case.updated', case: caseEventSummary(updated), actorId: actor.id });
    return { spam, changed: true, contact };
  });
}
