// Drill: Dovecot stopped for 30 s (DRILL_OUTAGE_SECONDS) and started again while mail keeps arriving
// (delivered into the Maildirs, as the mail server's delivery agent would while IMAP is down). Times
// until ingest resumes and until the backlog is stored; ends with the exactly-once check.
import { RECONNECT_BACKOFF } from '../../server/domain/retry-backoff';
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { checkExactlyOnce, describeExactlyOnce, exactlyOnceRow } from '../lib/exactly-once';
import { MailStream } from '../lib/mail-stream';
import { StoreWatcher } from '../lib/store-watcher';
import { fmt } from '../lib/stats';

const MAILBOXES = 10;
const MAIL_INTERVAL_MS = 250;
const STEADY_BEFORE_MS = 10_000;
const STEADY_AFTER_MS = 15_000;
const CATCH_UP_TIMEOUT_MS = 5 * 60_000;

export const dovecotOutage: Scenario = {
  key: 'dovecot',
  name: 'Drill: Dovecot outage',
  async run(ctx: BenchContext) {
    const downSeconds = Number(process.env.DRILL_OUTAGE_SECONDS ?? 30);
    const label = `outage${ctx.runId}`;
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'outage' });
    const watcher = new StoreWatcher(dep.db, label);
    try {
      const boxes = await dep.createMailboxes(MAILBOXES, { autoReply: true });
      await dep.startWorker();
      await dep.waitForIdle(boxes.map((b) => b.processorId), 60_000);
      const stream = new MailStream(ctx.dovecot, boxes, label);
      watcher.start();
      stream.start(MAIL_INTERVAL_MS);
      await sleep(STEADY_BEFORE_MS);

      await ctx.dovecot.stopServer();
      const stoppedAt = performance.now();
      ctx.log(`Dovecot stopped; mail keeps arriving for ${downSeconds} s`);
      await sleep(downSeconds * 1000);
      const backlog = stream.delivered.filter((d) => d.at >= stoppedAt).map((d) => d.messageId);
      await ctx.dovecot.startServer();
      const restartedAt = performance.now();
      ctx.log(`Dovecot started again; ${backlog.length} messages arrived while it was down`);
      await sleep(STEADY_AFTER_MS);
      stream.stop();

      const backlogStoredAt = await watcher.waitForAll(backlog, CATCH_UP_TIMEOUT_MS);
      const allStoredAt = await watcher.waitForAll(stream.delivered.map((d) => d.messageId), CATCH_UP_TIMEOUT_MS);
      const resumedAt = watcher.firstSeenAfter(restartedAt);
      await sleep(2_000);
      const check = await checkExactlyOnce(dep.db, stream.delivered);
      const resumeSeconds = resumedAt === null ? Number.NaN : (resumedAt - restartedAt) / 1000;
      const backlogSeconds = backlogStoredAt === null ? Number.NaN : (backlogStoredAt - restartedAt) / 1000;
      return {
        rows: [
          {
            scenario: 'drill: Dovecot outage',
            measure: `down ${downSeconds} s: ingest resumes after restart`,
            baseline: '',
            figure: `${fmt(resumeSeconds, 1)} s; backlog stored ${fmt(backlogSeconds, 1)} s`,
            ratio: '',
            goal: '',
            met: null,
          },
          exactlyOnceRow('drill: Dovecot outage', check, allStoredAt !== null),
        ],
        notes: [
          `${MAILBOXES} processors on one worker (product defaults; reconnect backoff ${RECONNECT_BACKOFF.baseMs / 1000} s doubling to ${RECONNECT_BACKOFF.maxMs / 1000} s, ±${RECONNECT_BACKOFF.jitter * 100}%); one realistic message every ${MAIL_INTERVAL_MS} ms delivered into the Maildirs throughout.`,
          `Dovecot stopped ${fmt(STEADY_BEFORE_MS / 1000)} s into the stream for ${downSeconds} s; ${backlog.length} messages arrived meanwhile. After the restart: first message stored after ${fmt(resumeSeconds, 1)} s, the whole outage backlog after ${fmt(backlogSeconds, 1)} s.`,
          `Exactly-once: ${describeExactlyOnce(check)}.`,
        ],
      };
    } finally {
      watcher.stop();
      if (!ctx.dovecot.running) await ctx.dovecot.startServer().catch(() => {});
      await dep.stop();
    }
  },
};
