// Regular-expression filters run on a thread of their own, under a total time budget per message.
// RE2 (server/domain/filter-regex.ts) is linear in the input, but a pattern with large counted repeats over
// a long body can still take seconds, and on the worker's main thread that would hold up every other
// mailbox's IDLE, lease renewals and database round trips (a 2-core machine has no time to spare). On the
// thread, a message whose filters run past MESSAGE_REGEX_BUDGET_MS is cut off: the thread is terminated
// (V8 interrupts WebAssembly too), the filters that had not answered count as no match and are named in the
// case note, and the next message gets a fresh thread. Intake and "Try a message" both come through here.
//
// Decisions:
// - One thread per process, one message at a time: the budget is then the message's own time, not time
//   spent waiting behind another processor's message. Messages wait their turn in order.
// - A message whose processor has no regular-expression filter never touches the thread.
// - The budget starts when the thread has the message, not while a fresh thread is still loading.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MESSAGE_REGEX_BUDGET_MS, PATTERN_TRIAL_TEXTS } from '../domain/filter-regex';
import { type FilterableMessage, type ProcessorFilterRule, type RegexVerdict, type RegexVerdicts, type RegexWork, regexJobs } from '../domain/match-filters';
import type { RegexThreadReply, RegexThreadRequest } from './filter-regex-thread';

const THREAD_FILE = 'server/services/filter-regex-thread.ts';

// Next.js bundles server code into .next, so import.meta.url is not where the sources are there; the
// process's working directory is (server.ts and the worker run from the project root).
// The thread runs from the sources (the app runs from its source tree), so the bundler need not trace them.
function sourceFile(relative: string): string {
  const fromCwd = path.join(/*turbopackIgnore: true*/ process.cwd(), relative);
  if (existsSync(fromCwd)) return fromCwd;
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', relative);
}

type Running = { id: number; thread: Worker; verdicts: Map<string, RegexVerdict>; finish: () => void };

export class FilterRegexPool {
  private thread: Worker | null = null;
  private ready: Promise<Worker> | null = null;
  private running: Running | null = null;
  private turn: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  constructor(private readonly budgetMs = MESSAGE_REGEX_BUDGET_MS) {}

  /** Verdicts for a message's regex jobs; a job without one ran out of the budget. */
  evaluate(work: RegexWork): Promise<RegexVerdicts> {
    if (work.jobs.length === 0) return Promise.resolve(new Map());
    // A thread that cannot start (or dies loading) leaves every job without a verdict: out of time, named
    // in the case note, rather than a message that cannot be taken in.
    const result = this.turn.then(() => this.run(work)).catch(() => new Map(work.jobs.map((j) => [j.filterId, 'timeout' as const])));
    this.turn = result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    this.ready = null;
    await thread?.terminate();
  }

  private async run(work: RegexWork): Promise<RegexVerdicts> {
    const thread = await this.start();
    const id = this.nextId++;
    const verdicts = new Map<string, RegexVerdict>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // Out of time: whatever is still running is stopped with the thread.
        this.discard(thread);
        finish();
      }, this.budgetMs);
      const finish = () => {
        clearTimeout(timer);
        if (this.running?.id === id) this.running = null;
        for (const job of work.jobs) if (!verdicts.has(job.filterId)) verdicts.set(job.filterId, 'timeout');
        resolve();
      };
      this.running = { id, thread, verdicts, finish };
      thread.postMessage({ id, work } satisfies RegexThreadRequest);
    });
    return verdicts;
  }

  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    // tsx's ESM entry (require.resolve would give its CommonJS one), found from the project root.
    const tsx = pathToFileURL(createRequire(path.join(/*turbopackIgnore: true*/ process.cwd(), 'package.json')).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    const file = pathToFileURL(sourceFile(THREAD_FILE)).href;
    // The thread loads TypeScript sources, so tsx is registered in it first (as worker/parse-pool.ts does).
    const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file)}); })`;
    const thread = new Worker(boot, { eval: true, name: 'leopard-filter-regex' });
    thread.unref();
    this.thread = thread;
    this.ready = new Promise<Worker>((resolve, reject) => {
      thread.on('message', (reply: RegexThreadReply) => {
        if (reply.kind === 'ready') return resolve(thread);
        const running = this.running;
        if (!running || running.thread !== thread || running.id !== reply.id) return;
        if (reply.kind === 'verdict') running.verdicts.set(reply.filterId, reply.verdict);
        else running.finish();
      });
      const gone = (err?: Error) => {
        if (this.thread === thread) this.discard(thread);
        if (this.running?.thread === thread) this.running.finish();
        reject(err ?? new Error('The filter thread stopped while loading.'));
      };
      thread.on('error', gone);
      thread.on('exit', () => gone());
    });
    return this.ready;
  }

  /** Forgets the thread (the next message starts a new one) and stops it. */
  private discard(thread: Worker): void {
    if (this.thread === thread) {
      this.thread = null;
      this.ready = null;
    }
    void thread.terminate();
  }
}

let shared: FilterRegexPool | null = null;

/** Whether a pattern finishes the trial texts within a message's budget, on the same thread as real mail. */
export async function patternFinishesInTime(pattern: string): Promise<boolean> {
  const verdicts = await filterRegexPool().evaluate({
    jobs: PATTERN_TRIAL_TEXTS.map((_, i) => ({ filterId: `trial-${i}`, pattern, valuesKey: `trial-${i}` })),
    values: Object.fromEntries(PATTERN_TRIAL_TEXTS.map((text, i) => [`trial-${i}`, [text]])),
  });
  return [...verdicts.values()].every((v) => v !== 'timeout');
}

/** The verdicts of a message's regular-expression filters, from the filter thread (empty when it has none). */
export function regexVerdictsFor(message: FilterableMessage, filters: ProcessorFilterRule[]): Promise<RegexVerdicts> {
  return filterRegexPool().evaluate(regexJobs(message, filters));
}

/** The process's filter thread: the worker's intake and the web server's "Try a message" share this path. */
export function filterRegexPool(): FilterRegexPool {
  shared ??= new FilterRegexPool();
  return shared;
}
