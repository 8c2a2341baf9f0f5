// Drill: the database restarted under load (the bench's own embedded Postgres: stopped, down for
// DRILL_PG_DOWN_SECONDS, started again on the same data) while mail keeps arriving. The worker runs
// under a keeper that restarts it if it exits, as the README asks of production. Times until ingest
// resumes; ends with the exactly-once check.
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { checkExactlyOnce, describeExactlyOnce, exactlyOnceRow } from '../lib/exactly-once';
import { MailStream } from '../lib/mail-stream';
import { StoreWatcher } from '../lib/store-watcher';
import { fmt } from '../lib/stats';
import { WorkerKeeper } from '../lib/worker-keeper';

const MAILBOXES = 10;
const MAIL_INTERVAL_MS = 100;
const STEADY_BEFORE_MS = 10_000;
const STEADY_AFTER_MS = 15_000;
const CATCH_UP_TIMEOUT_MS = 5 * 60_000;

export const postgresRestart: Scenario = {
  key: 'postgres',
  name: 'Drill: Postgres restart',
  async run(ctx: BenchContext) {
    if (!ctx.postgres.embedded) {
      return {
        rows: [{ scenario: 'drill: Postgres restart', measure: 'skipped', baseline: '', figure: 'needs the bench’s own database', ratio: '', goal: '', met: null }],
        notes: ['Skipped: BENCH_DATABASE_URL is set, and the drill restarts only a database server it started itself.'],
      };
    }
    const downSeconds = Number(process.env.DRILL_PG_DOWN_SECONDS ?? 5);
    const label = `pgrestart${ctx.runId}`;
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'pgrestart' });
    const watcher = new StoreWatcher(dep.db, label);
    const keeper = new WorkerKeeper(dep);
    try {
      const boxes = await dep.createMailboxes(MAILBOXES, { autoReply: true });
      await keeper.start();
      await dep.waitForIdle(boxes.map((b) => b.processorId), 60_000);
      const stream = new MailStream(ctx.dovecot, boxes, label, 11);
      watcher.start();
      stream.start(MAIL_INTERVAL_MS);
      await sleep(STEADY_BEFORE_MS);
      const storedBefore = watcher.seenAt.size;

      ctx.log(`stopping Postgres under load (${storedBefore} stored so far) for ${downSeconds} s`);
      const { stoppedAt, startedAt } = await ctx.postgres.restart(downSeconds * 1000);
      ctx.log(`Postgres back after ${fmt((startedAt - stoppedAt) / 1000, 1)} s`);
      await sleep(STEADY_AFTER_MS);
      stream.stop();

      const allStoredAt = await watcher.waitForAll(stream.delivered.map((d) => d.messageId), CATCH_UP_TIMEOUT_MS);
      const resumedAt = watcher.firstSeenAfter(startedAt);
      const backlog = stream.delivered.filter((d) => d.at >= stoppedAt && d.at <= startedAt).map((d) => d.messageId);
      const backlogStoredAt = await watcher.waitForAll(backlog, 1_000);
      await sleep(2_000);
      const check = await checkExactlyOnce(dep.db, stream.delivered);
      const resumeSeconds = resumedAt === null ? Number.NaN : (resumedAt - startedAt) / 1000;
      const backlogSeconds = backlogStoredAt === null ? Number.NaN : (backlogStoredAt - startedAt) / 1000;
      const crashes = keeper.exits.filter((e) => e.at >= stoppedAt);
      return {
        rows: [
          {
            scenario: 'drill: Postgres restart',
            measure: `down ${fmt((startedAt - stoppedAt) / 1000, 1)} s: ingest resumes after restart`,
            baseline: '',
            figure: `${fmt(resumeSeconds, 1)} s; backlog stored ${fmt(backlogSeconds, 1)} s; worker restarts ${crashes.length}`,
            ratio: '',
            goal: '',
            met: null,
          },
          exactlyOnceRow('drill: Postgres restart', check, allStoredAt !== null),
        ],
        notes: [
          `${MAILBOXES} processors on one worker; one realistic message every ${MAIL_INTERVAL_MS} ms delivered into the Maildirs throughout; Postgres (embedded, fsync on) stopped ${STEADY_BEFORE_MS / 1000} s in, started again ${fmt((startedAt - stoppedAt) / 1000, 1)} s later on the same data.`,
          `After the restart: first message stored after ${fmt(resumeSeconds, 1)} s; the ${backlog.length} messages that arrived while it was down after ${fmt(backlogSeconds, 1)} s. The bench's own polls failed ${watcher.failedPolls} times meanwhile.`,
          crashes.length === 0
            ? 'The worker process survived the restart (no exit).'
            : `The worker exited ${crashes.length} time(s) and was restarted by the keeper; last output before the first exit: ${JSON.stringify(crashes[0]!.lastOutput.split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 600))}`,
          `Exactly-once: ${describeExactlyOnce(check)}.`,
        ],
      };
    } finally {
      keeper.stop();
      watcher.stop();
      await dep.stop();
    }
  },
};
