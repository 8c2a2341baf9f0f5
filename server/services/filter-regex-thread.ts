// The filter thread's side of server/services/filter-regex-pool.ts: one message's regular-expression jobs
// in, one verdict per job out as soon as it is known (so a budget that runs out keeps the finished ones).
// The matching itself is the domain's (testFilterRegex), the same function matchFilters uses.
import { parentPort } from 'node:worker_threads';
import { testFilterRegex } from '../domain/filter-regex';
import type { RegexWork } from '../domain/match-filters';

export type RegexThreadRequest = { id: number; work: RegexWork };
export type RegexThreadReply =
  | { kind: 'ready' }
  | { kind: 'verdict'; id: number; filterId: string; verdict: 'match' | 'no_match' | 'invalid' }
  | { kind: 'done'; id: number };

const port = parentPort;
if (!port) throw new Error('server/services/filter-regex-thread.ts runs as a worker thread (filter-regex-pool.ts starts it).');

port.on('message', ({ id, work }: RegexThreadRequest) => {
  for (const job of work.jobs) {
    // Anything but a pattern error (a WebAssembly abort, say) ends the thread: the pool counts the rest of
    // the message's jobs as out of time and starts a fresh thread for the next message.
    const verdict = testFilterRegex(job.pattern, work.values[job.valuesKey] ?? []);
    port.postMessage({ kind: 'verdict', id, filterId: job.filterId, verdict } satisfies RegexThreadReply);
  }
  port.postMessage({ kind: 'done', id } satisfies RegexThreadReply);
});
port.postMessage({ kind: 'ready' } satisfies RegexThreadReply);
