import { describe, expect, it } from 'vitest';
import { fetchInRanges, isLastRange, nextRange, RangedSource, type SourceRange } from './fetch-ranges';

/** A server holding `actual`, answering partial fetches as RFC 3501 says (an empty string past the end). */
function server(actual: Buffer) {
  const asked: SourceRange[] = [];
  const fetchRange = async (range: SourceRange) => {
    asked.push(range);
    return actual.subarray(range.start, range.start + range.maxLength);
  };
  return { asked, fetchRange };
}

describe('the range plan of a big message', () => {
  it('asks through one byte past the announced end, so the last answer is short', () => {
    expect(nextRange(0, 10, 4)).toEqual({ start: 0, maxLength: 4 });
    expect(nextRange(8, 10, 4)).toEqual({ start: 8, maxLength: 3 });
    expect(nextRange(0, 8, 4)).toEqual({ start: 0, maxLength: 4 });
    expect(nextRange(8, 8, 4)).toEqual({ start: 8, maxLength: 1 });
    // Past the announced size (it was too small): whole ranges on.
    expect(nextRange(12, 10, 4)).toEqual({ start: 12, maxLength: 4 });
    expect(isLastRange({ start: 8, maxLength: 3 }, 2)).toBe(true);
    expect(isLastRange({ start: 0, maxLength: 4 }, 4)).toBe(false);
  });

  it('puts the bytes together exactly, whether the announced size is right, a multiple of the range, too small or too large', async () => {
    const actual = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
    for (const announced of [1000, 999, 1, 0, 1001, 5000]) {
      for (const rangeBytes of [100, 333, 1000, 4096]) {
        const s = server(actual);
        const got = await fetchInRanges(announced, s.fetchRange, rangeBytes);
        expect(got?.equals(actual), `announced ${announced}, ranges of ${rangeBytes}`).toBe(true);
        expect(got!.byteOffset).toBe(0);
        expect(got!.buffer.byteLength).toBe(actual.length);
        // Contiguous ranges from 0, and never past the first short answer.
        s.asked.forEach((r, i) => expect(r.start).toBe(i === 0 ? 0 : s.asked[i - 1]!.start + s.asked[i - 1]!.maxLength));
        expect(s.asked.slice(0, -1).every((r) => r.start + r.maxLength <= actual.length)).toBe(true);
      }
    }
  });

  it('with the size right, asks ceil((size + 1) / range) times and fills the one buffer it allocated', async () => {
    const actual = Buffer.alloc(10_000, 1);
    const s = server(actual);
    const got = await fetchInRanges(actual.length, s.fetchRange, 2_500);
    expect(s.asked).toHaveLength(5);
    expect(s.asked.at(-1)).toEqual({ start: 10_000, maxLength: 1 });
    expect(got!.equals(actual)).toBe(true);
  });

  it('gives up the message when the server no longer has it, before or during the fetch', async () => {
    expect(await fetchInRanges(100, async () => null, 10)).toBeNull();
    let n = 0;
    expect(await fetchInRanges(100, async (r) => (n++ < 2 ? Buffer.alloc(r.maxLength) : null), 10)).toBeNull();
  });

  it('grows its buffer when more bytes come than announced', () => {
    const source = new RangedSource(2);
    source.append(Buffer.from('abc'));
    source.append(Buffer.from('de'));
    expect(source.bytes().toString()).toBe('abcde');
  });
});
