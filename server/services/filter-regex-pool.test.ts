// The filter thread for real: a worker thread running RE2, with its budget per message.
import { afterAll, describe, expect, it } from 'vitest';
import { FilterRegexPool } from './filter-regex-pool';

const pool = new FilterRegexPool(300);
afterAll(() => pool.close());

const body = `${'lorem ipsum dolor sit amet 12345 '.repeat(3000)}`;

describe('the filter thread', () => {
  it('answers each regex job of a message', async () => {
    const verdicts = await pool.evaluate({
      jobs: [
        { filterId: 'yes', pattern: 'dolor sit', valuesKey: 'body' },
        { filterId: 'no', pattern: '^invoice', valuesKey: 'body' },
        { filterId: 'broken', pattern: '(', valuesKey: 'body' },
      ],
      values: { body: [body] },
    });
    expect(verdicts).toEqual(new Map([['yes', 'match'], ['no', 'no_match'], ['broken', 'invalid']]));
  });

  it('cuts a message off at its budget, keeps the verdicts it has, and serves the next message on a fresh thread', async () => {
    const started = performance.now();
    // `\w{1000}!` over 100 KB of letters takes RE2-on-WebAssembly ~4 s: linear, but a large automaton.
    const slow = await pool.evaluate({
      jobs: [
        { filterId: 'quick', pattern: 'amet', valuesKey: 'body' },
        { filterId: 'slow', pattern: '\\w{1000}!', valuesKey: 'letters' },
        { filterId: 'never-reached', pattern: 'amet', valuesKey: 'body' },
      ],
      values: { body: [body], letters: ['a'.repeat(100_000)] },
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(slow).toEqual(new Map([['quick', 'match'], ['slow', 'timeout'], ['never-reached', 'timeout']]));

    const next = await pool.evaluate({ jobs: [{ filterId: 'after', pattern: 'ipsum', valuesKey: 'subject' }], values: { subject: ['lorem ipsum'] } });
    expect(next).toEqual(new Map([['after', 'match']]));
  });

  it('does not start a thread for a message without regex jobs', async () => {
    const idle = new FilterRegexPool();
    expect(await idle.evaluate({ jobs: [], values: {} })).toEqual(new Map());
    expect((idle as unknown as { thread: unknown }).thread).toBeNull();
  });
});
