// Which case an inbound message belongs to. The service first looks up what threadLookupKeys names
// (cases by number, stored messages by Message-ID), then hands the answers to resolveThread.
// Precedence (DESIGN "Cases, messages, contacts"): a subject tag of an existing case, then
// In-Reply-To, then References from the most recent to the oldest, else a new case.
import { findCaseTags } from './case-tag';
import { formatCaseNumber } from './case-number';
import { normalizeMessageId } from './message-id';

/**
 * How many Message-IDs one message may make us look up. A long thread has a few dozen References;
 * a crafted header with thousands must not turn into a query with thousands of parameters.
 * The most recent ids are kept, since they are the ones that decide.
 */
export const MAX_THREAD_LOOKUP_IDS = 100;

/** What the service must look up before calling resolveThread. */
export type ThreadLookupKeys = {
  /** Case numbers tagged in the subject, in order of appearance. */
  caseNumbers: number[];
  /** Message-IDs to find among stored messages: In-Reply-To first, then References newest first. */
  messageIds: string[];
};

/** The parts of a parsed message that place it in a thread; ids already normalized (see message-id.ts). */
export type ThreadHeaders = {
  subject: string;
  inReplyTo: string | null;
  references: string[];
};

/** One subject tag and the id of the case with that number, or null when there is no such case. For a
 * merged case, caseId is the case at the end of its merge chain and mergedIntoNumber that case's number. */
export type TagLookup = { caseNumber: number; caseId: string | null; mergedIntoNumber?: number };

/** A stored message (inbound, or an auto-reply we sent) whose Message-ID the new message names. */
export type ReferenceHit = { messageId: string; caseId: string };

export type ResolveThreadInput = {
  /** One entry per subject tag, in the order the tags appear in the subject. */
  tagCaseIds: TagLookup[];
  /** Stored messages found for the looked-up ids. When one id is stored in several cases (the same mail
   * reached two mailboxes), the first hit in this list wins, so the service should order hits oldest case first. */
  referenceHits: ReferenceHit[];
  inReplyTo: string | null;
  references: string[];
};

/** Where the message goes and why; `note` explains anything an agent may wonder about (ignored tags). */
export type ThreadDecision =
  | { kind: 'tag'; caseId: string; caseNumber: number; note?: string }
  | { kind: 'reference'; caseId: string; messageId: string; note?: string }
  | { kind: 'new'; note?: string };

export function threadLookupKeys(parsed: ThreadHeaders): ThreadLookupKeys {
  const messageIds: string[] = [];
  for (const raw of [parsed.inReplyTo, ...[...parsed.references].reverse()]) {
    const id = normalizeMessageId(raw);
    if (id !== null && !messageIds.includes(id)) messageIds.push(id);
    if (messageIds.length === MAX_THREAD_LOOKUP_IDS) break;
  }
  return { caseNumbers: findCaseTags(parsed.subject), messageIds };
}

export function resolveThread(input: ResolveThreadInput): ThreadDecision {
  const notes: string[] = [];

  const missingTags = input.tagCaseIds.filter((t) => t.caseId === null).map((t) => formatCaseNumber(t.caseNumber));
  const tagged = input.tagCaseIds.find((t): t is TagLookup & { caseId: string } => t.caseId !== null);
  if (missingTags.length > 0) {
    const listed = missingTags.join(', ');
    notes.push(missingTags.length === 1 ? `The subject names ${listed}, which is not a case.` : `The subject names ${listed}, which are not cases.`);
  }

  const byReference = findReferencedCase(input);

  if (tagged) {
    if (tagged.mergedIntoNumber !== undefined) {
      notes.push(`${formatCaseNumber(tagged.caseNumber)} was merged into ${formatCaseNumber(tagged.mergedIntoNumber)}.`);
    }
    const otherTags = input.tagCaseIds
      .filter((t) => t.caseId !== null && t.caseId !== tagged.caseId)
      .map((t) => formatCaseNumber(t.caseNumber));
    if (otherTags.length > 0) notes.push(`The subject also names ${otherTags.join(', ')}; the first tag wins.`);
    if (byReference && byReference.caseId !== tagged.caseId) {
      notes.push('In-Reply-To/References point to another case; the subject tag wins.');
    }
    return withNote({ kind: 'tag', caseId: tagged.caseId, caseNumber: tagged.caseNumber }, notes);
  }

  if (byReference) {
    return withNote({ kind: 'reference', caseId: byReference.caseId, messageId: byReference.messageId }, notes);
  }
  return withNote({ kind: 'new' }, notes);
}

function findReferencedCase(input: ResolveThreadInput): ReferenceHit | null {
  const caseByMessageId = new Map<string, string>();
  for (const hit of input.referenceHits) {
    const id = normalizeMessageId(hit.messageId);
    if (id !== null && !caseByMessageId.has(id)) caseByMessageId.set(id, hit.caseId);
  }
  // In-Reply-To names the message being answered; References end with the most recent ancestor.
  for (const raw of [input.inReplyTo, ...[...input.references].reverse()]) {
    const id = normalizeMessageId(raw);
    const caseId = id === null ? undefined : caseByMessageId.get(id);
    if (id !== null && caseId !== undefined) return { messageId: id, caseId };
  }
  return null;
}

function withNote<T extends ThreadDecision>(decision: T, notes: string[]): T {
  return notes.length === 0 ? decision : { ...decision, note: notes.join(' ') };
}
