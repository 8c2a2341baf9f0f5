// A big message is fetched in ranges (BODY.PEEK[]<start.length>, RFC 3501 partial fetch) into one buffer of
// its announced size. Fetched whole, imapflow gathers the literal's socket chunks and then joins them into one
// more buffer of the message's size: a 35 MB message (a 25 MB attachment) took about twice its size at once
// before the parse thread ever saw it. In ranges, only one range is held twice.
//
// Decisions:
// - RFC822.SIZE (from the listing's FETCH) sizes the buffer and the plan, but does not end the fetch: the last
//   range asks for one byte more than the announced size, so a short answer confirms the end; a server whose
//   size was too small answers in full and is asked on, one whose size was too large answers short earlier.
// - Ranges of 1 MB with a 5 ms pause after each: fetched back to back, the ranges kept the worker's main thread
//   and the server busy for ~0.3 s, and other mailboxes' mail arriving meanwhile waited up to ~150 ms more
//   (bench/scenarios/big-message.ts: added p95 128–148 ms, quiet 35–59 ms); paced, 56 ms against quiet 37 ms. A
//   35 MB message takes about 35 round trips and 0.2 s more.
import type { ImapFlow } from 'imapflow';

/** Messages announced (RFC822.SIZE) at least this big are fetched in ranges. */
export const RANGED_FETCH_BYTES = 4 * 1024 * 1024;
/** The length asked for in each range of a ranged fetch. */
export const FETCH_RANGE_BYTES = 1024 * 1024;
/** Pause between two ranges: the worker's other mailboxes (and the server) get the CPU in between. */
const RANGE_PAUSE_MS = 5;

export type SourceRange = { start: number; maxLength: number };

/**
 * The next range to ask for after `received` bytes of a message announced as `announcedSize` bytes: up to
 * `rangeBytes`, and through one byte past the announced end, so the answer to the last one is short.
 */
export function nextRange(received: number, announcedSize: number, rangeBytes = FETCH_RANGE_BYTES): SourceRange {
  const toAnnouncedEndAndOne = announcedSize + 1 - received;
  return { start: received, maxLength: toAnnouncedEndAndOne > 0 ? Math.min(rangeBytes, toAnnouncedEndAndOne) : rangeBytes };
}

/** A range answered with fewer bytes than asked for ends the message. */
export function isLastRange(range: SourceRange, answeredBytes: number): boolean {
  return answeredBytes < range.maxLength;
}

/** The message's bytes, put together range by range in one buffer of the announced size. */
export class RangedSource {
  private buffer: Buffer;
  private length = 0;

  constructor(announcedSize: number) {
    this.buffer = Buffer.allocUnsafeSlow(Math.max(0, announcedSize));
  }

  get received(): number {
    return this.length;
  }

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buffer.length) {
      // The server's announced size was too small: a larger buffer, once per range past it.
      const grown = Buffer.allocUnsafeSlow(this.length + bytes.length);
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** The bytes received, in a buffer of exactly their length (its own ArrayBuffer, to be moved to the parse thread). */
  bytes(): Buffer {
    if (this.length === this.buffer.length) return this.buffer;
    const exact = Buffer.allocUnsafeSlow(this.length);
    this.buffer.copy(exact, 0, 0, this.length);
    return exact;
  }
}

/**
 * Fetches one message's source in ranges with `fetchRange` (which answers null when the server no longer has
 * the message). Null when the message is gone before or while it is fetched.
 */
export async function fetchInRanges(
  announcedSize: number,
  fetchRange: (range: SourceRange) => Promise<Uint8Array | null>,
  rangeBytes = FETCH_RANGE_BYTES,
): Promise<Buffer | null> {
  const source = new RangedSource(announcedSize);
  for (;;) {
    const range = nextRange(source.received, announcedSize, rangeBytes);
    const bytes = await fetchRange(range);
    if (bytes === null) return null;
    source.append(bytes);
    if (isLastRange(range, bytes.length)) return source.bytes();
    await new Promise((resolve) => setTimeout(resolve, RANGE_PAUSE_MS));
  }
}

/** One message's source (by UID, in the open mailbox) fetched in ranges; null when the server no longer has it. */
export function fetchSourceInRanges(client: ImapFlow, uid: number, announcedSize: number, rangeBytes = FETCH_RANGE_BYTES): Promise<Buffer | null> {
  return fetchInRanges(
    announcedSize,
    async (range) => {
      const m = await client.fetchOne(String(uid), { uid: true, source: range }, { uid: true });
      if (!m) return null;
      // A range past the end is an empty string (RFC 3501); no source at all is taken as empty too.
      return m.source ?? Buffer.alloc(0);
    },
    rangeBytes,
  );
}
