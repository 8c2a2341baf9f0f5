// Parsed inbound messages become case changes: each joins the case its tag or references name, or opens a
// new case with the processor's filters and the sender's contact. Runs inside the caller's transaction
// (server/services/ingest.ts, and the quarantine retry). The rules come from server/domain; which message
// goes where is decided for a whole round at once (server/domain/plan-intake.ts) from a few lookups, and the
// round's cases, contacts, messages, attachments and NOTIFYs are written with one statement each, so the
// cost per message of an import is a share of each statement rather than a dozen round trips.
//
// Decisions:
// - A message without a usable sender address (bounces often have no From, some have "From: MAILER-DAEMON"
//   with no domain) still makes a case, with no contact and a note saying why. The sender is already the
//   first usable one of From, Sender and Reply-To (server/domain/choose-sender.ts); the message stores
//   which header it came from.
// - New contacts for one address are serialised with an advisory lock on the lower-cased address, so two
//   mailboxes receiving a first mail from the same person at the same moment create one contact, not two.
//   A round takes the locks of all its addresses in sorted order, so two rounds never wait on each other
//   in a circle over them.
// - Messages are stamped with clock_timestamp(), not the transaction's start time, so the messages of one
//   batch (one transaction) keep their order inside a case.
// - The ids of new cases, contacts and messages are made here (UUIDs), so the rows of one round can refer
//   to each other before they are written.
import { randomUUID } from 'node:crypto';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { runPrepared } from '../db/prepared';
import { attachments, caseMessages, cases, contacts, emailProcessors, processorFilters } from '../db/schema';
import { readSenderAuthentication, type SenderAuthentication, type SenderAuthenticityOutcome, senderAuthenticityOutcome } from '../domain/authentication-results';
import type { ContactCandidate } from '../domain/match-contact';
import type { CaseSettings, ProcessorFilterRule } from '../domain/match-filters';
import { type IntakeFacts, type IntakePlan, planIntakeRound, type PlanStage } from '../domain/plan-intake';
import { threadLookupKeys } from '../domain/resolve-thread';
import type { AutoReplySkipCode } from '../domain/auto-reply-policy';
import { type ParsedInbound, toFilterableMessage } from '../mail/parse-message';
import { threadHeadersOf } from '../domain/bounce-thread';
import { queueAutoReply } from './auto-reply-outbox';
import { recordBounces } from './bounces';
import { regexVerdictsFor } from './filter-regex-pool';
import type { CaseEvent } from '../realtime/events';
import { caseEventSummary, publishCaseEvents } from './case-events';
import type { IngestProcessor } from './ingest-mailbox';
import { findStoredByMessageId } from './same-mail';
import { finalCases } from './case-merge';
import { systemCaseDefaults } from './catalog';

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
  maxAutoRepliesPerProcessorPerHour: number;
};

/** A message to plan: parsed, with the SHA-256 of its raw bytes. */
export type IntakeCandidate = {
  parsed: ParsedInbound;
  sha256: string;
  /** Live mail and retries: planned in a round of their own (their auto-reply reads the outbox). */
  alone: boolean;
};

/** A planned message to write, with its stored raw bytes. */
export type IntakeEntry = {
  parsed: ParsedInbound;
  plan: Extract<IntakePlan, { kind: 'new' | 'append' }>;
  rawMessageId: string;
  /** Old mail of the first sync: no auto-reply. */
  isInitialImport: boolean;
  /** An admin's retry from quarantine: no auto-reply, the sender wrote long ago. */
  isRetry: boolean;
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

export type LoadIntakeContextOptions = {
  processor: IngestProcessor;
  maxAutoRepliesPerSenderPerHour: number;
  maxAutoRepliesPerProcessorPerHour: number;
};

export async function loadIntakeContext(tx: Transaction, opts: LoadIntakeContextOptions): Promise<IntakeContext> {
  const [filters, defaults, own] = await Promise.all([
    runPrepared(
      tx
        .select()
        .from(processorFilters)
        .where(eq(processorFilters.processorId, opts.processor.id))
        .orderBy(asc(processorFilters.priority), asc(processorFilters.id)),
    ),
    systemCaseDefaults({ db: tx }),
    runPrepared(tx.select({ emailAddress: emailProcessors.emailAddress }).from(emailProcessors)),
  ]);
  return {
    processor: opts.processor,
    filters,
    defaults,
    ownAddresses: own.map((p) => p.emailAddress),
    maxAutoRepliesPerSenderPerHour: opts.maxAutoRepliesPerSenderPerHour,
    maxAutoRepliesPerProcessorPerHour: opts.maxAutoRepliesPerProcessorPerHour,
  };
}


/** The processor's own server's SPF/DKIM/DMARC verdicts on a message, and what they make the intake do. */
export function senderAuthenticity(
  processor: IngestProcessor,
  parsed: ParsedInbound,
): { authentication: SenderAuthentication | null; outcome: SenderAuthenticityOutcome } {
  const authentication = readSenderAuthentication(parsed.headers['authentication-results'] ?? [], processor.authservId);
  const outcome = senderAuthenticityOutcome(authentication, {
    newContact: processor.dmarcFailNewContact,
    noAutoReply: processor.dmarcFailNoAutoReply,
    flag: processor.dmarcFailFlag,
  });
  return { authentication, outcome };
}

/**
 * Plans a prefix (at least one) of `candidates` from what the database holds now; the caller writes that
 * prefix (writeIntake) and plans the rest again. `progress` says where a failure happened.
 */
export async function planIntake(
  tx: Transaction,
  ctx: IntakeContext,
  candidates: IntakeCandidate[],
  progress: { stage: IngestStage },
): Promise<IntakePlan[]> {
  progress.stage = 'thread';
  const facts = await loadIntakeFacts(tx, ctx, candidates.map((c) => c.parsed));
  // Regular-expression filters run on the filter thread under a budget per message, never here on the
  // worker's main thread (server/services/filter-regex-pool.ts); the plan then only reads their verdicts.
  progress.stage = 'filters';
  const regexVerdicts = ctx.filters.some((f) => f.matchRule === 'regex')
    ? await Promise.all(candidates.map((c) => regexVerdictsFor(toFilterableMessage(c.parsed), ctx.filters)))
    : [];
  progress.stage = 'thread';
  const items = candidates.map(({ parsed, sha256, alone }, i) => ({
    messageId: parsed.messageId,
    subject: parsed.subject,
    // A bounce threads by the message it returns (server/domain/bounce-thread.ts).
    ...threadHeadersOf(parsed),
    from: parsed.from,
    sha256,
    alone,
    filterable: () => toFilterableMessage(parsed),
    regexVerdicts: regexVerdicts[i],
    senderUnverified: senderAuthenticity(ctx.processor, parsed).outcome.distrustAddress,
  }));
  const planProgress: { stage: PlanStage } = { stage: 'thread' };
  try {
    return planIntakeRound(items, facts, ctx, randomUUID, planProgress);
  } finally {
    progress.stage = planProgress.stage;
  }
}

async function loadIntakeFacts(tx: Transaction, ctx: IntakeContext, messages: ParsedInbound[]): Promise<IntakeFacts> {
  const caseNumbers = new Set<number>();
  const referencedIds = new Set<string>();
  for (const parsed of messages) {
    const keys = threadLookupKeys({ subject: parsed.subject, ...threadHeadersOf(parsed) });
    for (const n of keys.caseNumbers) caseNumbers.add(n);
    for (const id of keys.messageIds) referencedIds.add(id);
  }
  const ownIds = [...new Set(messages.flatMap((m) => (m.messageId === null ? [] : [m.messageId])))];
  const addresses = [...new Set(messages.flatMap((m) => (m.from === null ? [] : [m.from.address.toLowerCase()])))].sort();

  const [tagged, hits, stored, candidates] = await Promise.all([
    caseNumbers.size === 0
      ? []
      : runPrepared(tx.select({ id: cases.id, number: cases.number, mergedIntoId: cases.mergedIntoId }).from(cases).where(inArray(cases.number, [...caseNumbers]))),
    referencedIds.size === 0
      ? []
      : runPrepared(
          tx
            .select({ messageId: caseMessages.messageId, caseId: caseMessages.caseId })
            .from(caseMessages)
            .innerJoin(cases, eq(cases.id, caseMessages.caseId))
            .where(inArray(caseMessages.messageId, [...referencedIds]))
            // resolveThread takes the first hit per id, so this order decides when one id names messages in
            // several cases (one mail reached two mailboxes, or a sender reused a Message-ID): the oldest case,
            // case numbers breaking ties, so the same reply always goes to the same case.
            .orderBy(asc(cases.createdAt), asc(cases.number), asc(caseMessages.createdAt), asc(caseMessages.id)),
        ),
    findStoredByMessageId(tx, ctx.processor.id, ownIds),
    lockAndFindContacts(tx, addresses),
  ]);
  const contactsByAddress = new Map<string, ContactCandidate[]>();
  for (const c of candidates) {
    const key = c.email.toLowerCase();
    contactsByAddress.set(key, [...(contactsByAddress.get(key) ?? []), c]);
  }
  // A tag of a merged case names the case at the end of its merge chain (server/domain/case-merge.ts).
  const merged = tagged.filter((c) => c.mergedIntoId !== null);
  const finals = merged.length === 0 ? new Map<string, { id: string; number: number }>() : await finalCases(tx, merged.map((c) => c.id));
  return {
    casesByNumber: new Map(tagged.map((c) => [c.number, finals.get(c.id)?.id ?? c.id])),
    mergedTags: new Map(merged.map((c) => [c.number, finals.get(c.id)!.number])),
    referenceHits: hits.flatMap((h) => (h.messageId === null ? [] : [{ messageId: h.messageId, caseId: h.caseId }])),
    storedByMessageId: stored,
    contactsByAddress,
  };
}

/** Advisory-lock class for "a contact is being chosen for this address" (two-key form, its own key space). */
const CONTACT_LOCK_CLASS = 7361010;

/** Locks the (lower-cased, sorted) addresses, then reads their contacts. */
async function lockAndFindContacts(tx: Transaction, addresses: string[]): Promise<ContactCandidate[]> {
  if (addresses.length === 0) return [];
  const values = sql.join(
    addresses.map((a) => sql`(${a})`),
    sql`, `,
  );
  await tx.execute(sql`select pg_advisory_xact_lock(${CONTACT_LOCK_CLASS}, hashtext(a)) from (values ${values}) as v(a)`);
  return runPrepared(
    tx
      .select({
        id: contacts.id,
        firstName: contacts.firstName,
        lastName: contacts.lastName,
        email: contacts.email,
        createdAt: contacts.createdAt,
        unverifiedSender: contacts.unverifiedSender,
      })
      .from(contacts)
      .where(inArray(sql`lower(${contacts.email})`, addresses)),
  );
}

const EMPTY = Buffer.alloc(0);

/** What a round reads back of the cases it writes: their number and the summary of their event. */
const CASE_SUMMARY_COLUMNS = {
  id: cases.id,
  number: cases.number,
  subject: cases.subject,
  status: cases.status,
  isSpam: cases.isSpam,
  assignedToId: cases.assignedToId,
  lastActivityAt: cases.lastActivityAt,
};
type CaseSummaryRow = Parameters<typeof caseEventSummary>[0];

/** Rows per multi-row statement: far below Postgres's 65,535 parameters for every table written here. */
const ROWS_PER_STATEMENT = 500;

function inChunks<T>(rows: T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) chunks.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return chunks;
}

/**
 * Statements sent one after another without waiting for each answer (postgres.js pipelines them on the
 * transaction's connection; Postgres runs them in order, so a row inserted by one is there for the next).
 * While Postgres works through them, this process builds the next ones. A failure records its stage; the
 * statements after it fail too ("transaction is aborted") but arrive later, so the first failure wins.
 */
export class StatementPipeline {
  private readonly sent: Array<Promise<unknown>> = [];
  private failedAt: IngestStage | null = null;

  constructor(private readonly progress: { stage: IngestStage }) {}

  /** Starts `statement` now (a drizzle query runs when its then() is called), in the order sent. */
  send<T>(stage: IngestStage, statement: PromiseLike<T>): Promise<T> {
    this.progress.stage = stage;
    // Not Promise.resolve(statement): that calls then() a microtask later, after statements sent meanwhile.
    const started = new Promise<T>((resolve, reject) => {
      statement.then(resolve, reject);
    });
    const sent = started.catch((err: unknown) => {
      this.failedAt ??= stage;
      this.progress.stage = this.failedAt;
      throw err;
    });
    this.sent.push(sent);
    return sent;
  }

  /** Waits for every statement sent; rejects with the first failure. */
  async drain(): Promise<void> {
    const outcomes = await Promise.allSettled(this.sent);
    this.sent.length = 0;
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      this.progress.stage = this.failedAt ?? this.progress.stage;
      throw failed.reason;
    }
  }
}

/**
 * Writes planned messages (in order): new cases and contacts, appended cases, messages, attachments, then
 * auto-replies and events. Statements go through `pipeline` (the caller may have sent the raw bytes on it).
 */
export async function writeIntake(
  tx: Transaction,
  ctx: IntakeContext,
  entries: IntakeEntry[],
  now: Date,
  pipeline: StatementPipeline,
): Promise<IntakeResult[]> {
  const caseRows = new Map<string, CaseSummaryRow>();
  const opened = entries.flatMap((e) => (e.plan.kind === 'new' ? [{ entry: e, plan: e.plan }] : []));
  // The case's words are refreshed once, after the round's messages and attachments are written, rather than
  // by each of their inserts (the refresh is a new version of the case row: drizzle/migrations/0022_…).
  void pipeline.send('case', tx.execute(sql`select set_config('leopard.case_search', 'deferred', true)`));
  if (opened.length > 0) {
    // A round holds at most MAX_MESSAGES_PER_TRANSACTION messages (server/services/ingest.ts): one statement
    // writes its new cases and the contacts they create, far below Postgres's 65,535 parameters. The contacts go
    // in with the cases (a data-modifying WITH, whose foreign keys are checked at the end of the statement): a
    // contact remembers the case that created it and the case names its contact, so neither is written twice.
    const newContacts = opened.flatMap(({ plan }) => (plan.contact.kind === 'create' ? [{ caseId: plan.caseId, ...plan.contact }] : []));
    const caseValues = opened.map(({ entry, plan }) => ({
      id: plan.caseId,
      subject: entry.parsed.subject,
      status: 'new' as const,
      ...plan.settings,
      contactId: plan.contact.kind === 'none' ? null : plan.contact.contactId,
      processorId: ctx.processor.id,
      notes: plan.caseNotes,
      lastActivityAt: now,
    }));
    const insert =
      newContacts.length === 0
        ? tx.insert(cases).values(caseValues).returning(CASE_SUMMARY_COLUMNS)
        : tx
            .with(
              tx
                .$with('new_contacts')
                // Remembered as created by this case: marking the case as spam may delete the contact again.
                .as(tx.insert(contacts).values(newContacts.map((c) => ({ id: c.contactId, ...c.values, createdByCaseId: c.caseId }))).returning({ id: contacts.id })),
            )
            .insert(cases)
            .values(caseValues)
            .returning(CASE_SUMMARY_COLUMNS);
    void pipeline.send('case', runPrepared(insert)).then(
      (rows) => rows.forEach((row) => caseRows.set(row.id, row)),
      () => {}, // reported by drain()
    );
  }
  // New mail makes the case unread again, closed cases included (seed: "the case becomes New").
  const appendedIds = [...new Set(entries.flatMap((e) => (e.plan.kind === 'append' ? [e.plan.caseId] : [])))];
  if (appendedIds.length > 0) {
    const update = tx.update(cases).set({ status: 'new', lastActivityAt: now }).where(inArray(cases.id, appendedIds)).returning(CASE_SUMMARY_COLUMNS);
    void pipeline.send('case', runPrepared(update)).then(
      (rows) => rows.forEach((row) => caseRows.set(row.id, row)),
      () => {}, // reported by drain()
    );
  }

  const messageIds = entries.map(() => randomUUID());
  const authenticity = entries.map((e) => senderAuthenticity(ctx.processor, e.parsed));
  for (const chunk of inChunks(entries.map((entry, i) => ({ entry, id: messageIds[i]!, auth: authenticity[i]! })))) {
    const insert = tx.insert(caseMessages).values(
      chunk.map(({ entry: { parsed, plan, rawMessageId }, id, auth }) => ({
        id,
        caseId: plan.caseId,
        processorId: ctx.processor.id,
        rawMessageId,
        direction: 'inbound' as const,
        messageId: parsed.messageId,
        inReplyTo: parsed.inReplyTo,
        references: parsed.references,
        fromAddress: parsed.from?.address ?? '',
        fromName: parsed.from?.name ?? '',
        senderSource: parsed.senderSource,
        to: parsed.to,
        cc: parsed.cc,
        replyTo: parsed.replyTo,
        subject: parsed.subject,
        sentAt: parsed.date,
        textBody: parsed.text,
        htmlBody: parsed.html,
        deliveryReport: parsed.deliveryReport,
        authentication: auth.authentication,
        senderFlagged: auth.outcome.flag,
        threadReason: plan.kind === 'new' ? ('new' as const) : plan.reason,
        threadNote: plan.messageNote,
        createdAt: sql`clock_timestamp()`,
      })),
    );
    void pipeline.send('case', runPrepared(insert));
  }

  // An attachment's bytes are already in its raw message (stored on this pipeline): the row names its part,
  // and the download decodes it from there (server/services/attachments.ts). A mail's bytes travel and are
  // stored once, not again decoded.
  const files = entries.flatMap((entry, i) => entry.parsed.attachments.map((a, part) => ({ ...a, part, caseMessageId: messageIds[i]! })));
  for (const chunk of inChunks(files)) {
    const insert = tx.insert(attachments).values(
      chunk.map((a) => ({
        caseMessageId: a.caseMessageId,
        filename: a.filename,
        contentType: a.contentType,
        size: a.size,
        contentId: a.contentId,
        inline: a.inline,
        checksum: a.checksum,
        content: EMPTY,
        rawPart: a.part,
      })),
    );
    void pipeline.send('attachments', runPrepared(insert));
  }
  // The cases the messages are in (a message written into a case merged meanwhile went to its target).
  void pipeline.send(
    'case',
    tx.execute(
      sql`select set_config('leopard.case_search', '', true), leopard_refresh_case_search(array(select distinct ${caseMessages.caseId} from ${caseMessages} where ${inArray(caseMessages.id, messageIds)}))`,
    ),
  );
  await pipeline.drain();
  const bounces = entries.flatMap((e, i) =>
    e.plan.kind === 'append' && e.parsed.deliveryReport ? [{ caseId: e.plan.caseId, caseMessageId: messageIds[i]!, report: e.parsed.deliveryReport }] : [],
  );
  if (bounces.length > 0) await pipeline.send('case', recordBounces(tx, bounces));

  const results: IntakeResult[] = [];
  const events: CaseEvent[] = [];
  for (const [i, entry] of entries.entries()) {
    const row = caseRows.get(entry.plan.caseId);
    if (!row) throw new Error(`Case ${entry.plan.caseId} was not written.`);
    const caseMessageId = messageIds[i]!;
    if (entry.plan.kind === 'append') {
      events.push({ type: 'case.updated', case: caseEventSummary(row), messageId: caseMessageId, actorId: null });
      results.push({ kind: 'appended', caseId: row.id, caseNumber: row.number, caseMessageId, reason: entry.plan.reason });
      continue;
    }
    const autoReply = entry.isRetry
      ? ({ queued: false, skip: 'retry' } as const)
      : await pipeline.send(
          'auto-reply',
          queueAutoReply(tx, {
            ctx,
            parsed: entry.parsed,
            caseId: row.id,
            caseNumber: row.number,
            isInitialImport: entry.isInitialImport,
            senderFailedDmarc: authenticity[i]!.outcome.noAutoReply,
            now,
          }),
        );
    events.push({ type: 'case.created', case: caseEventSummary(row) });
    results.push({
      kind: 'created',
      caseId: row.id,
      caseNumber: row.number,
      caseMessageId,
      autoReplyQueued: autoReply.queued,
      ...(autoReply.skip !== undefined && { autoReplySkip: autoReply.skip }),
    });
  }

  await pipeline.send('notify', publishCaseEvents(tx, events));
  await pipeline.drain();
  return results;
}

/** A message for intakeRound: what planIntake needs and what decides its auto-reply. */
export type IntakeRoundItem = IntakeCandidate & Pick<IntakeEntry, 'isInitialImport' | 'isRetry'>;

/** An item of a round: the same mail already stored (as that case message), or what writing it made. */
export type IntakeRoundOutcome = { kind: 'same-mail'; caseMessageId: string } | IntakeResult;

export type IntakeRoundHooks = {
  /** Hears how many items were planned (a prefix: see planIntake), before anything is written. */
  onPlanned?: (count: number) => void;
  /**
   * Gives the raw message ids of the planned items at `indexes` (the same mail again has none), in order.
   * Live mail stores its bytes here, on `pipeline`; a quarantine retry names the row it already has.
   */
  rawMessageIds: (indexes: number[], pipeline: StatementPipeline) => Promise<string[]> | string[];
};

/**
 * The one intake sequence of live mail, import mail and quarantine retries, inside the caller's savepoint:
 * plan a prefix of `items` → leave out the same mail already stored → raw bytes → write the case changes.
 * Returns the outcome of each planned item, in order; the caller handles the rest in a later round.
 */
export async function intakeRound(
  tx: Transaction,
  ctx: IntakeContext,
  items: IntakeRoundItem[],
  now: Date,
  progress: { stage: IngestStage },
  hooks: IntakeRoundHooks,
): Promise<IntakeRoundOutcome[]> {
  const plans = await planIntake(tx, ctx, items, progress);
  hooks.onPlanned?.(plans.length);
  const pipeline = new StatementPipeline(progress);
  const kept = plans.flatMap((plan, i) => (plan.kind === 'same-mail' ? [] : [{ i, plan }]));
  const rawIds = await hooks.rawMessageIds(
    kept.map(({ i }) => i),
    pipeline,
  );
  const entries: IntakeEntry[] = kept.map(({ i, plan }, k) => ({
    parsed: items[i]!.parsed,
    plan,
    rawMessageId: rawIds[k]!,
    isInitialImport: items[i]!.isInitialImport,
    isRetry: items[i]!.isRetry,
  }));
  const written = await writeIntake(tx, ctx, entries, now, pipeline);
  const writtenByIndex = new Map(kept.map(({ i }, k) => [i, written[k]!]));
  return plans.map((plan, i): IntakeRoundOutcome => (plan.kind === 'same-mail' ? { kind: 'same-mail', caseMessageId: plan.caseMessageId } : writtenByIndex.get(i)!));
}
