// `npm run drill`: fault drills, each ending with a check that nothing was lost or doubled. Starts its
// own Dovecot, database server (embedded, so it can be restarted) and local Resend, like the bench.
//
//   DRILL_ONLY=dovecot,postgres,loop,soak   only these drills
//   DRILL_SOAK_SECONDS=600                  length of the soak (default 10 minutes); DRILL_SOAK_RATE=5 msg/s
//   DRILL_OUTAGE_SECONDS=30                 how long Dovecot stays down
//   DRILL_PG_DOWN_SECONDS=5                 how long Postgres stays down
//   DRILL_LOOP_SECONDS=90                   cap on each auto-reply loop set-up
//   DRILL_RESULTS=path                      where to write the results (default bench/DRILL-RESULTS.md)
import { autoReplyLoop } from './drills/auto-reply-loop';
import { dovecotOutage } from './drills/dovecot-outage';
import { postgresRestart } from './drills/postgres-restart';
import { soak } from './drills/soak';
import { logLine, runScenarios } from './lib/runner';

runScenarios({
  title: 'Leopard drills',
  command: 'npm run drill',
  scenarios: [dovecotOutage, postgresRestart, autoReplyLoop, soak],
  onlyVariable: 'DRILL_ONLY',
  needsWeb: [],
  resultsFile: process.env.DRILL_RESULTS ?? 'bench/DRILL-RESULTS.md',
}).catch((err: unknown) => {
  logLine(`drill failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
