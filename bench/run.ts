// `npm run bench`: starts its own Dovecot, database server and local Resend, runs each scenario of
// issue 6 against the real worker and web processes, prints one table (every figure with its baseline
// from this same run and the ratio) and writes it to bench/RESULTS.md.
//
//   BENCH_SCALE=small      about a tenth of the sizes, for a quick run (default: full)
//   BENCH_ONLY=push,list   only these scenarios: push, import, mailboxes, big, list, scaleout, search, reply, pop3, mailboxes5k
//   BENCH_REPEAT=1         run every scenario this many times (default: once; the many-mailbox ones 3, 6 and 10 twice)
//   BENCH_DATABASE_URL     use this Postgres server (a database per scenario) instead of an embedded one
//   BENCH_RESULTS=path     where to write the results (default bench/RESULTS.md)
import { logLine, runScenarios } from './lib/runner';
import { agentList } from './scenarios/agent-list';
import { bigMessage } from './scenarios/big-message';
import { importThroughput } from './scenarios/import-throughput';
import { fiveThousandMailboxes, manyMailboxes } from './scenarios/many-mailboxes';
import { pop3Import } from './scenarios/pop3-import';
import { pushLatency } from './scenarios/push-latency';
import { replyLatency } from './scenarios/reply-latency';
import { scaleOut } from './scenarios/scale-out';
import { search } from './scenarios/search';

runScenarios({
  title: 'Leopard bench',
  command: 'npm run bench',
  scenarios: [pushLatency, importThroughput, manyMailboxes, bigMessage, agentList, scaleOut, search, replyLatency, pop3Import, fiveThousandMailboxes],
  onlyVariable: 'BENCH_ONLY',
  needsWeb: ['push', 'mailboxes', 'big', 'list', 'search', 'mailboxes5k'],
  resultsFile: process.env.BENCH_RESULTS ?? 'bench/RESULTS.md',
}).catch((err: unknown) => {
  logLine(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
