// Where each message of an ingest round goes, decided from what the database held when the round began
// (IntakeFacts) and from the messages planned before it in the same round. The service
// (server/services/case-intake.ts) loads the facts for a list of messages in a few queries, asks for a plan,
// and writes the planned rows with multi-row statements; this function holds no I/O.
//
// The rules are the ones a message taken alone follows (resolveThread, matchFilters, matchContact, the
// same-mail rule of server/services/same-mail.ts). A round is a prefix of the list: planning stops before
// the first message whose outcome could depend on a row only this round writes, in a way the plan cannot
// see exactly:
// - it is flagged `alone` (live mail and retries: their auto-reply decision reads and writes the outbox),
//   or the round began with such a message;
// - its Message-ID equals one planned earlier in the round (the same mail twice, or a reused id: both
//   decisions compare against the stored first copy);
// - its subject names a case number that no stored case has (it could be a number this round hands out);
// - one of its referenced Message-IDs is both stored and planned in this round (which hit comes first
//   depends on case creation order).
// The next round starts at that message with fresh facts. The first message of a round is always planned.
import { isUsableAddress, MAX_ADDRESS_CHARS } from './choose-sender';
import { type ContactCandidate, matchContact, type NewContact } from './match-contact';
import { MESSAGE_REGEX_BUDGET_MS } from './filter-regex';
import { type CaseSettings, type FilterableMessage, matchFilters, type ProcessorFilterRule, type RegexVerdicts } from './match-filters';
import { formatCaseNumber } from './case-number';
import { type ReferenceHit, resolveThread, threadLookupKeys } from './resolve-thread';

export type IntakeItem = {
  messageId: string | null;
  subject: string;
  inReplyTo: string | null;
  references: string[];
  from: { address: string; name: string } | null;
  /** SHA-256 of the raw bytes (hex). */
  sha256: string;
  /** Live mail and retries: planned in a round of their own. */
  alone: boolean;
  /** What filters see; only asked for when the message opens a case. */
  filterable: () => FilterableMessage;
  /** The verdicts of the processor's regular-expression filters, worked out off the main thread. */
  regexVerdicts?: RegexVerdicts;
  /** DMARC failed and the processor distrusts such addresses (server/domain/authentication-results.ts). */
  senderUnverified?: boolean;
};

/** A stored inbound message of this mailbox that carries a Message-ID some item of the round carries. */
export type StoredByMessageId = { messageId: string; caseMessageId: string; caseNumber: number; sha256: string | null };

export type IntakeFacts = {
  /** Stored cases by number, for every subject tag of the items (a merged case: the case at the end of its
   * merge chain, server/domain/case-merge.ts). */
  casesByNumber: Map<number, string>;
  /** Tagged cases that were merged: the number of the case each one's mail goes to now. */
  mergedTags?: Map<number, number>;
  /** Stored messages (any mailbox, either direction) whose Message-ID an item refers to, oldest case first. */
  referenceHits: ReferenceHit[];
  /** This mailbox's stored inbound messages by Message-ID, oldest first. */
  storedByMessageId: StoredByMessageId[];
  /** Stored contacts by lower-cased address. */
  contactsByAddress: Map<string, ContactCandidate[]>;
};

export type IntakeSettings = { filters: ProcessorFilterRule[]; defaults: CaseSettings };

export type PlannedContact =
  | { kind: 'existing'; contactId: string }
  | { kind: 'create'; contactId: string; values: NewContact }
  | { kind: 'none' };

export type IntakePlan =
  /** The same mail is already stored as this case message: nothing is written. */
  | { kind: 'same-mail'; caseMessageId: string }
  | {
      kind: 'new';
      caseId: string;
      settings: CaseSettings;
      contact: PlannedContact;
      /** For the case's history, in order: thread, filters, contact. */
      caseNotes: string[];
      /** For the message: why it opened a case rather than joining one (ignored tags, a reused id). */
      messageNote: string | null;
    }
  | { kind: 'append'; caseId: string; reason: 'tag' | 'reference'; messageNote: string | null };

/** Where a plan is when a rule throws; the service reports it as the quarantine stage. */
export type PlanStage = 'thread' | 'filters' | 'contact';

/**
 * Plans a prefix (at least one) of `items`. `newId` makes the ids of new cases and contacts; `progress`
 * says which rule was running when one throws.
 */
export function planIntakeRound(
  items: IntakeItem[],
  facts: IntakeFacts,
  settings: IntakeSettings,
  newId: () => string,
  progress: { stage: PlanStage } = { stage: 'thread' },
): IntakePlan[] {
  const plans: IntakePlan[] = [];
  const plannedMessageIds = new Map<string, string>();
  const plannedContacts = new Map<string, ContactCandidate[]>();
  const storedIds = new Set(facts.referenceHits.map((h) => h.messageId));

  for (const [index, item] of items.entries()) {
    if (index > 0 && endsRound(item, items[0]!, facts, storedIds, plannedMessageIds)) break;
    progress.stage = 'thread';
    const plan = planOne(item, facts, settings, newId, plannedMessageIds, plannedContacts, progress);
    plans.push(plan);
    if (item.messageId !== null && plan.kind !== 'same-mail') plannedMessageIds.set(item.messageId, plan.caseId);
  }
  return plans;
}

function endsRound(
  item: IntakeItem,
  first: IntakeItem,
  facts: IntakeFacts,
  storedIds: Set<string>,
  planned: Map<string, string>,
): boolean {
  if (item.alone || first.alone) return true;
  if (item.messageId !== null && planned.has(item.messageId)) return true;
  const keys = threadLookupKeys(item);
  if (keys.caseNumbers.some((n) => !facts.casesByNumber.has(n))) return true;
  return keys.messageIds.some((id) => planned.has(id) && storedIds.has(id));
}

function planOne(
  item: IntakeItem,
  facts: IntakeFacts,
  settings: IntakeSettings,
  newId: () => string,
  plannedMessageIds: Map<string, string>,
  plannedContacts: Map<string, ContactCandidate[]>,
  progress: { stage: PlanStage },
): IntakePlan {
  const stored = item.messageId === null ? [] : facts.storedByMessageId.filter((s) => s.messageId === item.messageId);
  const same = stored.find((s) => s.sha256 === item.sha256);
  if (same) return { kind: 'same-mail', caseMessageId: same.caseMessageId };

  const keys = threadLookupKeys(item);
  const hits = [
    ...facts.referenceHits.filter((h) => keys.messageIds.includes(h.messageId)),
    ...keys.messageIds.flatMap((id) => {
      const caseId = plannedMessageIds.get(id);
      return caseId === undefined ? [] : [{ messageId: id, caseId }];
    }),
  ];
  const decision = resolveThread({
    tagCaseIds: keys.caseNumbers.map((n) => ({
      caseNumber: n,
      caseId: facts.casesByNumber.get(n) ?? null,
      ...(facts.mergedTags?.has(n) ? { mergedIntoNumber: facts.mergedTags.get(n)! } : {}),
    })),
    referenceHits: hits,
    inReplyTo: item.inReplyTo,
    references: item.references,
  });
  const reuseNote =
    stored.length === 0
      ? null
      : `Its Message-ID was already used by a different message in this mailbox (in ${formatCaseNumber(stored[0]!.caseNumber)}); both are kept.`;
  const messageNote = joinNotes([decision.note ?? null, reuseNote]);
  if (decision.kind !== 'new') return { kind: 'append', caseId: decision.caseId, reason: decision.kind, messageNote };

  progress.stage = 'filters';
  const outcome = matchFilters(item.filterable(), settings.filters, settings.defaults, {
    regexVerdicts: item.regexVerdicts,
    regexBudgetMs: MESSAGE_REGEX_BUDGET_MS,
  });
  progress.stage = 'contact';
  const { contact, note: contactNote } = chooseContact(item, facts, plannedContacts, newId);
  return {
    kind: 'new',
    caseId: newId(),
    settings: outcome.settings,
    contact,
    caseNotes: [messageNote, outcome.note, contactNote].filter((n): n is string => n !== null),
    messageNote,
  };
}

function chooseContact(
  item: IntakeItem,
  facts: IntakeFacts,
  plannedContacts: Map<string, ContactCandidate[]>,
  newId: () => string,
): { contact: PlannedContact; note: string | null } {
  if (item.from === null) return { contact: { kind: 'none' }, note: 'The message has no sender address, so no contact is linked.' };
  const address = item.from.address;
  if (address.length > MAX_ADDRESS_CHARS) {
    return { contact: { kind: 'none' }, note: `The sender's address is ${address.length} characters long, which is not an email address, so no contact is linked.` };
  }
  // What counts as an address is the rule the sender was chosen by (server/domain/choose-sender.ts).
  if (!isUsableAddress(address)) {
    return { contact: { kind: 'none' }, note: `The sender "${address}" is not an email address, so no contact is linked.` };
  }
  const key = address.toLowerCase();
  const candidates = [...(facts.contactsByAddress.get(key) ?? []), ...(plannedContacts.get(key) ?? [])];
  const senderUnverified = item.senderUnverified === true;
  const match = matchContact({ fromAddress: address, fromName: item.from.name === '' ? null : item.from.name, candidates, senderUnverified });
  const unverifiedNote = senderUnverified
    ? `The sender failed DMARC at this mailbox's mail server, so ${address} may be forged: the case has a contact flagged as unverified, not one matched by the address alone.`
    : null;
  switch (match.kind) {
    case 'create': {
      const contactId = newId();
      // A later message of the round from the same address finds this contact, as it would once stored.
      plannedContacts.set(key, [...(plannedContacts.get(key) ?? []), { id: contactId, ...match.newContact, createdAt: new Date() }]);
      return { contact: { kind: 'create', contactId, values: match.newContact }, note: unverifiedNote };
    }
    case 'ambiguous':
      return { contact: { kind: 'existing', contactId: match.contactId }, note: joinNotes([match.note, unverifiedNote]) };
    default:
      return { contact: { kind: 'existing', contactId: match.contactId }, note: unverifiedNote };
  }
}

function joinNotes(notes: Array<string | null>): string | null {
  const present = notes.filter((n): n is string => n !== null);
  return present.length === 0 ? null : present.join(' ');
}
