// The rules of case work: merging a case into another, splitting messages out into a new case, moving one
// message to another case, and undoing a merge. Plain functions over plain data; the writes are in
// server/services/case-merge.ts, which loads what these functions need under row locks.
//
// A merged case stays as a pointer to the case it was merged into. Mail tagged with its number follows the
// pointers to the case at the end of the chain (A merged into B, B later merged into C: a tag of A goes to C).
// References need no rule of their own: they name messages, and a message is found where it lives now.
import { formatCaseNumber } from './case-number';

export type Verdict = { ok: true } | { ok: false; reason: string };

/** How many merges a chain may have before it is taken for a loop (which the merge rule never makes). */
export const MAX_MERGE_CHAIN = 1000;

/**
 * The case at the end of `caseId`'s merge chain: itself when it was never merged. `mergedInto` maps a case
 * to the case it was merged into (null or absent when it was not). A loop, which checkMerge never lets
 * happen, ends at the case where it would repeat rather than spinning.
 */
export function finalCaseOf(caseId: string, mergedInto: ReadonlyMap<string, string | null>): string {
  const seen = new Set<string>([caseId]);
  let current = caseId;
  for (let hops = 0; hops < MAX_MERGE_CHAIN; hops++) {
    const next = mergedInto.get(current) ?? null;
    if (next === null || seen.has(next)) return current;
    seen.add(next);
    current = next;
  }
  return current;
}

/** What a merge needs to know of each case. */
export type MergeSide = { id: string; number: number; mergedIntoNumber: number | null };

export function checkMerge(source: MergeSide, target: MergeSide): Verdict {
  if (source.id === target.id) return { ok: false, reason: 'A case cannot be merged into itself.' };
  if (source.mergedIntoNumber !== null) {
    return { ok: false, reason: `${formatCaseNumber(source.number)} was already merged into ${formatCaseNumber(source.mergedIntoNumber)}.` };
  }
  // Merging into a pointer would hide the messages behind two hops; the agent picks the live case instead.
  if (target.mergedIntoNumber !== null) {
    return {
      ok: false,
      reason: `${formatCaseNumber(target.number)} was merged into ${formatCaseNumber(target.mergedIntoNumber)}: merge into ${formatCaseNumber(target.mergedIntoNumber)} instead.`,
    };
  }
  return { ok: true };
}

/** A recorded merge and what its target looks like now. */
export type UndoFacts = {
  kind: 'merge' | 'split' | 'move';
  undone: boolean;
  /** The source still points at the target of this merge (nothing re-pointed it). */
  sourceStillMergedIntoTarget: boolean;
  /** The target was itself merged into another case since. */
  targetMergedSince: boolean;
  /** How many messages the target had right after the merge, and has now. */
  targetMessageCountAfterMerge: number;
  targetMessageCountNow: number;
  /** How many of the moved messages are still in the target. */
  movedMessages: number;
  movedStillInTarget: number;
};

/**
 * A merge can be undone while the target is exactly as the merge left it: nothing new arrived (no mail,
 * reply or note, nothing moved in or out) and the target was not merged on. Then undoing puts every
 * message back where it was and nobody loses anything they saw after the merge.
 */
export function canUndoMerge(f: UndoFacts): Verdict {
  if (f.kind !== 'merge') return { ok: false, reason: 'Only a merge can be undone.' };
  if (f.undone) return { ok: false, reason: 'This merge was already undone.' };
  if (!f.sourceStillMergedIntoTarget) return { ok: false, reason: 'The merged case no longer points at this case.' };
  if (f.targetMergedSince) return { ok: false, reason: 'The case was merged on into another case since; undo that merge first.' };
  if (f.movedStillInTarget !== f.movedMessages) return { ok: false, reason: 'Some of the merged messages were moved on since.' };
  if (f.targetMessageCountNow !== f.targetMessageCountAfterMerge) {
    return { ok: false, reason: 'Something new arrived in the case since the merge, so it can no longer be undone.' };
  }
  return { ok: true };
}

/** A message of a case's thread, in thread order (oldest first). */
export type ThreadEntry = { id: string; direction: 'inbound' | 'outbound' | 'note' };

export type SplitChoice = { ok: true; messageIds: string[] } | { ok: false; reason: string };

/**
 * Which messages a split takes: the chosen one, and with `withFollowing` every message after it in the
 * thread (replies and notes included, so the conversation from there on moves whole). A split that would
 * take every message leaves an empty case behind; that is a merge the other way round, so it is refused.
 */
export function chooseSplitMessages(thread: ThreadEntry[], messageId: string, withFollowing: boolean): SplitChoice {
  const index = thread.findIndex((m) => m.id === messageId);
  if (index === -1) return { ok: false, reason: 'This message is no longer in this case.' };
  const taken = withFollowing ? thread.slice(index) : [thread[index]!];
  if (taken.length === thread.length) {
    return { ok: false, reason: 'That would take every message of the case; merge the case instead.' };
  }
  return { ok: true, messageIds: taken.map((m) => m.id) };
}

/** Moving one message: the message is in the source case and the target is another live case. */
export function checkMoveMessage(opts: { thread: ThreadEntry[]; messageId: string; source: MergeSide; target: MergeSide }): Verdict {
  const { thread, messageId, source, target } = opts;
  if (!thread.some((m) => m.id === messageId)) return { ok: false, reason: 'This message is no longer in this case.' };
  if (source.id === target.id) return { ok: false, reason: `The message is already in ${formatCaseNumber(target.number)}.` };
  if (target.mergedIntoNumber !== null) {
    return {
      ok: false,
      reason: `${formatCaseNumber(target.number)} was merged into ${formatCaseNumber(target.mergedIntoNumber)}: move the message there instead.`,
    };
  }
  if (thread.length === 1) return { ok: false, reason: 'This is the only message of the case; merge the case instead.' };
  return { ok: true };
}

const CASE_TAGS = /\[\s*LC\d{7,}\s*\]/gi;

/**
 * The subject of a case split off from another: the chosen message's subject without case tags (the old
 * case's tag would send the customer's answers back there), or the old case's subject when nothing is left.
 */
export function splitCaseSubject(messageSubject: string, caseSubject: string): string {
  const clean = (s: string) => s.replace(CASE_TAGS, ' ').replace(/\s+/g, ' ').trim();
  return clean(messageSubject) || clean(caseSubject);
}
