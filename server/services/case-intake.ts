// One parsed inbound message becomes a case change: it joins the case its tag or references name, or opens
// a new case with the processor's filters and the sender's contact. Runs inside the caller's transaction
// (server/services/ingest.ts opens a savepoint per message), writes the case, the message, its attachments,
// the auto-reply (server/services/auto-reply-outbox.ts) and the NOTIFY; the rules come from server/domain.
//
// Decisions:
// - A message without a usable sender address (bounces often have no From, some have "From: MAILER-DAEMON"
//   with no domain) still makes a case, with no contact and a note saying why.
// - New contacts for one address are serialised with an advisory lock on the lower-cased address, so two
//   mailboxes receiving a first mail from the same person at the same moment create one contact, not two.
// - Messages are stamped with clock_timestamp(), not the transaction's start time, so the messages of one
//   batch (one transaction) keep their order inside a case.
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { withLargeBytea } from '../db/large-bytea';
import { attachments, casePriorities, caseMessages, cases, caseTypes, contacts, emailProcessors, processorFilters } from '../db/schema';
import { matchContact } from '../domain/match-contact';
import { type CaseSettings, matchFilters, type ProcessorFilterRule } from '../domain/match-filters';
import { resolveThread, threadLookupKeys, type ThreadDecision } from '../domain/resolve-thread';
import type { AutoReplySkipCode } from '../domain/auto-reply-policy';
import { type ParsedInbound, toFilterableMessage } from '../mail/parse-message';
import { queueAutoReply } from './auto-reply-outbox';
import { caseEventSummary, publishCaseEvent } from './case-events';
import type { IngestProcessor } from './ingest-mailbox';
import { reusedMessageIdNote } from './same-mail';

/** Where in the intake a failure happened; quarantine rows record it for the admin. */
export type IngestStage = 'parse' | 'store' | 'thread' | 'filters' | 'contact' | 'case' | 'attachments' | 'auto-reply' | 'notify';

/** What every message of one processor's batch shares; loaded once per transaction. */
export type IntakeContext = {
  processor: IngestProcessor;
  filters: ProcessorFilterRule[];
  defaults: CaseSettings;
  /** Every processor's address, so our mailboxes never auto-reply to each other. */
  ownAddresses: string[];
  maxAutoRepliesPerSenderPerHour: number;
};

export type IntakeInput = {
  parsed: ParsedInbound;
  rawMessageId: string;
  /** Old mail of the first sync: no auto-reply. */
  isInitialImport: boolean;
  /** An admin's retry from quarantine: no auto-reply, the sender wrote long ago. */
  isRetry: boolean;
  now: Date;
  /** Updated as the intake moves on, so a failure can say where it happened. */
  progress: { stage: IngestStage };
};

export type IntakeResult =
  | {
      kind: 'created';
      caseId: string;
      caseNumber: number;
      caseMessageId: string;
      autoReplyQueued: boolean;
      /** Why no auto-reply was queued, when none was (for metrics). */
      autoReplySkip?: AutoReplySkipCode | 'retry';
    }
  | { kind: 'appended'; caseId: string; caseNumber: number; caseMessageId: string; reason: 'tag' | 'reference' };

export type LoadIntakeContextOptions = { processor: IngestProcessor; maxAutoRepliesPerSenderPerHour: number };

export async function loadIntakeContext(tx: Transaction, opts: LoadIntakeContextOptions): Promise<IntakeContext> {
  const [filters, [defaultType], [defaultPriority], own] = await Promise.all([
    tx
      .select()
      .from(processorFilters)
      .where(eq(processorFilters.processorId, opts.processor.id))
      .orderBy(asc(processorFilters.priority), asc(processorFilters.id)),
    tx.select({ id: caseTypes.id }).from(caseTypes).where(eq(caseTypes.isDefault, true)).orderBy(asc(caseTypes.position)).limit(1),
    tx
      .select({ id: casePriorities.id })
      .from(casePriorities)
      .where(eq(casePriorities.isDefault, true))
      .orderBy(asc(casePriorities.position))
      .limit(1),
    tx.select({ emailAddress: emailProcessors.emailAddress }).from(emailProcessors),
  ]);
  return {
    processor: opts.processor,
    filters,
    defaults: { caseTypeId: defaultType?.id ?? null, casePriorityId: defaultPriority?.id ?? null, assignedToId: null, managedById: null },
    ownAddresses: own.map((p) => p.emailAddress),
    maxAutoRepliesPerSenderPerHour: opts.maxAutoRepliesPerSenderPerHour,
  };
}

export async function intakeMessage(tx: Transaction, ctx: IntakeContext, input: IntakeInput): Promise<IntakeResult> {
  input.progress.stage = 'thread';
  const [decision, reuseNote] = await Promise.all([
    decideThread(tx, input.parsed),
    reusedMessageIdNote(tx, ctx.processor.id, input.parsed.messageId),
  ]);
  const notes = [decision.note, reuseNote].filter((n): n is string => typeof n === 'string');
  const note = notes.length === 0 ? null : notes.join(' ');
  return decision.kind === 'new' ? openCase(tx, ctx, input, note) : appendToCase(tx, ctx, input, decision, note);
}

async function decideThread(tx: Transaction, parsed: ParsedInbound): Promise<ThreadDecision> {
  const keys = threadLookupKeys(parsed);
  const [tagged, hits] = await Promise.all([
    keys.caseNumbers.length === 0
      ? []
      : tx.select({ id: cases.id, number: cases.number }).from(cases).where(inArray(cases.number, keys.caseNumbers)),
    keys.messageIds.length === 0
      ? []
      : tx
          .select({ messageId: caseMessages.messageId, caseId: caseMessages.caseId })
          .from(caseMessages)
          .innerJoin(cases, eq(cases.id, caseMessages.caseId))
          .where(inArray(caseMessages.messageId, keys.messageIds))
          // resolveThread takes the first hit per id, so this order decides when one id names messages in
          // several cases (one mail reached two mailboxes, or a sender reused a Message-ID): the oldest case,
          // case numbers breaking ties, so the same reply always goes to the same case.
          .orderBy(asc(cases.createdAt), asc(cases.number), asc(caseMessages.createdAt), asc(caseMessages.id)),
  ]);
  return resolveThread({
    tagCaseIds: keys.caseNumbers.map((n) => ({ caseNumber: n, caseId: tagged.find((c) => c.number === n)?.id ?? null })),
    referenceHits: hits.flatMap((h) => (h.messageId === null ? [] : [{ messageId: h.messageId, caseId: h.caseId }])),
    inReplyTo: parsed.inReplyTo,
    references: parsed.references,
  });
}

async function openCase(tx: Transaction, ctx: IntakeContext, input: IntakeInput, threadNote: string | null): Promise<IntakeResult> {
  const { parsed, progress } = input;
  progress.stage = 'filters';
  const outcome = matchFilters(toFilterableMessage(parsed), ctx.filters, ctx.defaults);

  progress.stage = 'contact';
  const contact = await chooseContact(tx, parsed);

  progress.stage = 'case';
  const notes = [threadNote, outcome.note, contact.note].filter((n): n is string => n !== null);
  const [created] = await tx
    .insert(cases)
    .values({
      subject: parsed.subject,
      status: 'new',
      ...outcome.settings,
      contactId: contact.kind === 'existing' ? contact.contactId : null,
      processorId: ctx.processor.id,
      notes,
      lastActivityAt: input.now,
    })
    .returning();
  if (contact.kind === 'create') {
    // Remembered as created by this case: marking the case as spam may delete the contact again.
    const [row] = await tx
      .insert(contacts)
      .values({ ...contact.newContact, createdByCaseId: created.id })
      .returning({ id: contacts.id });
    await tx.update(cases).set({ contactId: row.id }).where(eq(cases.id, created.id));
  }

  const caseMessageId = await storeInbound(tx, ctx, input, { caseId: created.id, reason: 'new', note: threadNote });

  progress.stage = 'auto-reply';
  const autoReply = input.isRetry
    ? ({ queued: false, skip: 'retry' } as const)
    : await queueAutoReply(tx, { ctx, parsed, caseId: created.id, caseNumber: created.number, isInitialImport: input.isInitialImport, now: input.now });

  progress.stage = 'notify';
  await publishCaseEvent(tx, { type: 'case.created', case: caseEventSummary(created) });
  return {
    kind: 'created',
    caseId: created.id,
    caseNumber: created.number,
    caseMessageId,
    autoReplyQueued: autoReply.queued,
    ...(autoReply.skip !== undefined && { autoReplySkip: autoReply.skip }),
  };
}

async function appendToCase(
  tx: Transaction,
  ctx: IntakeContext,
  input: IntakeInput,
  decision: Extract<ThreadDecision, { kind: 'tag' | 'reference' }>,
  threadNote: string | null,
): Promise<IntakeResult> {
  input.progress.stage = 'case';
  // New mail makes the case unread again, closed cases included (seed: "the case becomes New").
  const [updated] = await tx
    .update(cases)
    .set({ status: 'new', lastActivityAt: input.now })
    .where(eq(cases.id, decision.caseId))
    .returning();
  const caseMessageId = await storeInbound(tx, ctx, input, { caseId: updated.id, reason: decision.kind, note: threadNote });

  input.progress.stage = 'notify';
  await publishCaseEvent(tx, { type: 'case.updated', case: caseEventSummary(updated), messageId: caseMessageId, actorId: null });
  return { kind: 'appended', caseId: updated.id, caseNumber: updated.number, caseMessageId, reason: decision.kind };
}

type ContactChoice =
  | { kind: 'existing'; contactId: string; note: string | null }
  | { kind: 'create'; newContact: { firstName: string; lastName: string; email: string }; note: null }
  | { kind: 'none'; note: string };

// One @ with something on both sides and no spaces: enough to be worth a contact. Anything stricter
// belongs to the sender's mail server, which already accepted it.
const CONTACT_ADDRESS = /^[^\s@]+@[^\s@]+$/;

async function chooseContact(tx: Transaction, parsed: ParsedInbound): Promise<ContactChoice> {
  if (parsed.from === null) {
    return { kind: 'none', note: 'The message has no sender address, so no contact is linked.' };
  }
  const address = parsed.from.address;
  if (!CONTACT_ADDRESS.test(address)) {
    return { kind: 'none', note: `The sender "${address}" is not an email address, so no contact is linked.` };
  }
  await tx.execute(sql`select pg_advisory_xact_lock(${CONTACT_LOCK_CLASS}, hashtext(lower(${address})))`);
  const candidates = await tx
    .select({ id: contacts.id, firstName: contacts.firstName, lastName: contacts.lastName, email: contacts.email, createdAt: contacts.createdAt })
    .from(contacts)
    .where(eq(sql`lower(${contacts.email})`, address.toLowerCase()));
  const match = matchContact({ fromAddress: address, fromName: parsed.from.name === '' ? null : parsed.from.name, candidates });
  switch (match.kind) {
    case 'create':
      return { kind: 'create', newContact: match.newContact, note: null };
    case 'ambiguous':
      return { kind: 'existing', contactId: match.contactId, note: match.note };
    default:
      return { kind: 'existing', contactId: match.contactId, note: null };
  }
}

/** Advisory-lock class for "a contact is being chosen for this address" (two-key form, its own key space). */
const CONTACT_LOCK_CLASS = 7361010;

async function storeInbound(
  tx: Transaction,
  ctx: IntakeContext,
  input: IntakeInput,
  place: { caseId: string; reason: 'tag' | 'reference' | 'new'; note: string | null },
): Promise<string> {
  const { parsed } = input;
  const [message] = await tx
    .insert(caseMessages)
    .values({
      caseId: place.caseId,
      processorId: ctx.processor.id,
      rawMessageId: input.rawMessageId,
      direction: 'inbound',
      messageId: parsed.messageId,
      inReplyTo: parsed.inReplyTo,
      references: parsed.references,
      fromAddress: parsed.from?.address ?? '',
      fromName: parsed.from?.name ?? '',
      to: parsed.to,
      cc: parsed.cc,
      subject: parsed.subject,
      sentAt: parsed.date,
      textBody: parsed.text,
      htmlBody: parsed.html,
      threadReason: place.reason,
      threadNote: place.note,
      createdAt: sql`clock_timestamp()`,
    })
    .returning({ id: caseMessages.id });

  if (parsed.attachments.length > 0) {
    input.progress.stage = 'attachments';
    await withLargeBytea(
      tx,
      parsed.attachments.map((a) => a.content),
      (contents) =>
        tx.insert(attachments).values(
          parsed.attachments.map((a, i) => ({
            caseMessageId: message.id,
            filename: a.filename,
            contentType: a.contentType,
            size: a.size,
            contentId: a.contentId,
            inline: a.inline,
            checksum: a.checksum,
            content: contents[i]!,
          })),
        ),
    );
  }
  return message.id;
}
