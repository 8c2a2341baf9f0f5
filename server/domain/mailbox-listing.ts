// What the worker believes about a mailbox's UIDs, from what the server said. Optional response codes
// are never trusted to be there: Courier's SELECT has no UIDNEXT at all; a server's UID SEARCH may answer
// differently from its own counts (servers differ on `*` in ranges: Courier returns nothing for `n:*`
// past its last UID, Dovecot and Cyrus return the last message). These rules decide what to believe.

/** A UID as the protocol defines it: a whole number from 1 to 2^32 - 1. */
function isUid(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 0xffffffff;
}

/**
 * The next UID the server will assign: SELECT's UIDNEXT when it gave a valid one, else STATUS's, else one
 * past the highest UID in the mailbox (1 when empty). Never below one past the highest UID seen, whatever
 * the codes said.
 */
export function resolveUidNext({
  selectUidNext,
  statusUidNext,
  highestUid,
}: {
  selectUidNext?: unknown;
  statusUidNext?: unknown;
  highestUid: number | null;
}): number {
  const floor = (highestUid ?? 0) + 1;
  const told = isUid(selectUidNext) ? selectUidNext : isUid(statusUidNext) ? statusUidNext : null;
  return told === null ? floor : Math.max(told, floor);
}

export type ListingCounts = {
  /** The cursor: every UID up to it was taken. */
  lastUid: number;
  /** UIDs above the cursor that UID SEARCH listed. */
  listed: number[];
  /** The server's message count (EXISTS). */
  exists: number;
  /** UID of the last message by sequence number (FETCH * (UID)); null when the mailbox is empty. */
  highestUid: number | null;
  /** STATUS UIDNEXT, when asked. */
  uidNext: number | null;
};

export type ListingVerdict =
  | { kind: 'consistent' }
  /** The server holds messages above the cursor that the listing left out: list them another way. */
  | { kind: 'list-again'; discrepancy: string }
  /** The server numbers new mail at or below UIDs already taken, under the same UIDVALIDITY: read it all again. */
  | { kind: 'renumbered'; discrepancy: string };

export function checkListing(c: ListingCounts): ListingVerdict {
  if (c.exists > 0 && c.highestUid !== null && c.highestUid > c.lastUid && !c.listed.includes(c.highestUid)) {
    return {
      kind: 'list-again',
      discrepancy: `UID SEARCH listed ${c.listed.length} message${c.listed.length === 1 ? '' : 's'} above UID ${c.lastUid}, but the server holds ${c.exists} (EXISTS), the last with UID ${c.highestUid}.`,
    };
  }
  // UIDNEXT is above every UID the server ever assigned; at or below the cursor it has numbered again.
  if (c.uidNext !== null && isUid(c.uidNext) && c.uidNext <= c.lastUid) {
    return {
      kind: 'renumbered',
      discrepancy: `The server's UIDNEXT is ${c.uidNext} while UIDs up to ${c.lastUid} were already taken, under the same UIDVALIDITY: it numbered its messages again (restored from a backup?).`,
    };
  }
  return { kind: 'consistent' };
}

/** UIDs found by the second listing that the first missed. */
export function missedByFirstListing(first: number[], second: number[], lastUid: number): number[] {
  const seen = new Set(first);
  return second.filter((uid) => uid > lastUid && !seen.has(uid)).sort((a, b) => a - b);
}

/**
 * The stored UID cursor names its UID namespace: the server's UIDVALIDITY, plus a multiple of 2^32 for each
 * time the server numbered its mail again under the same UIDVALIDITY (restored from a backup). The stored
 * (mailbox, namespace, UID) key then never confuses a new message with one taken before under the same UID.
 */
export const UID_NAMESPACE_SPAN = 2 ** 32;

/** The UIDVALIDITY the server reports, for a stored namespace. */
export function serverUidValidity(namespace: number): number {
  return namespace % UID_NAMESPACE_SPAN;
}

/** The namespace to use after the server numbered its mail again. */
export function nextUidNamespace(namespace: number): number {
  return namespace + UID_NAMESPACE_SPAN;
}
