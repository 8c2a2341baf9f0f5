// Drill: a soak of DRILL_SOAK_SECONDS (default 600) with 50 processors and steady realistic mail. The
// worker's RSS (from /proc) and V8 heap in use (from its /metrics) are sampled throughout; the trend is
// printed, and the drill fails if memory keeps climbing in the second half. Ends with the exactly-once check.
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { checkExactlyOnce, describeExactlyOnce, exactlyOnceRow } from '../lib/exactly-once';
import { MailStream } from '../lib/mail-stream';
import { cpuSeconds, readMemory } from '../lib/proc';
import { StoreWatcher } from '../lib/store-watcher';
import { fmt, percentile, slope } from '../lib/stats';
import { heapUsedMb } from '../lib/worker-metrics';

const MAILBOXES = 50;
const SAMPLE_MS = 5_000;
const CATCH_UP_TIMEOUT_MS = 5 * 60_000;
/** Second-half growth above this many MB per 10 minutes counts as "growing without bound". */
const GROWTH_LIMIT_MB_PER_10_MIN = 10;
/** The slope needs a few minutes of second half to mean anything. */
const MIN_MINUTES_FOR_TREND = 4;

export const soak: Scenario = {
  key: 'soak',
  name: 'Drill: soak',
  async run(ctx: BenchContext) {
    const seconds = Number(process.env.DRILL_SOAK_SECONDS ?? 600);
    const rate = Number(process.env.DRILL_SOAK_RATE ?? 5);
    const label = `soak${ctx.runId}`;
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'soak' });
    const watcher = new StoreWatcher(dep.db, label, 1_000);
    try {
      const boxes = await dep.createMailboxes(MAILBOXES, { autoReply: true });
      const worker = await dep.startWorker();
      const pid = worker.child.pid!;
      await dep.waitForIdle(boxes.map((b) => b.processorId), 60_000);
      const stream = new MailStream(ctx.dovecot, boxes, label, 23);
      watcher.start();
      const repliesBefore = ctx.resend.mails.length;
      const started = performance.now();
      const cpu0 = cpuSeconds(pid);
      stream.start(1000 / rate);
      const samples: Array<{ t: number; rss: number; heap: number; stored: number }> = [];
      while (performance.now() - started < seconds * 1000) {
        await sleep(SAMPLE_MS);
        const t = (performance.now() - started) / 1000;
        samples.push({ t, rss: readMemory(pid).rssMb, heap: await heapUsedMb(worker.port), stored: watcher.seenAt.size });
        if (samples.length % 12 === 0) {
          const s = samples.at(-1)!;
          ctx.log(`soak ${Math.round(t)} s: RSS ${fmt(s.rss)} MB, heap ${fmt(s.heap)} MB, ${s.stored}/${stream.delivered.length} stored`);
        }
      }
      stream.stop();
      const allStoredAt = await watcher.waitForAll(stream.delivered.map((d) => d.messageId), CATCH_UP_TIMEOUT_MS);
      const workerCpu = cpuSeconds(pid) - cpu0;
      await sleep(2_000);
      const check = await checkExactlyOnce(dep.db, stream.delivered);

      // Per minute: the median RSS, and the lowest heap in use (the floor after a collection, which is
      // what a leak raises; the sawtooth between collections is not growth).
      const minutes: Array<{ m: number; rss: number; heap: number }> = [];
      for (let m = 1; m <= Math.ceil(seconds / 60); m++) {
        const w = samples.filter((s) => s.t > (m - 1) * 60 && s.t <= m * 60);
        if (w.length) minutes.push({ m, rss: percentile(w.map((s) => s.rss), 50), heap: Math.min(...w.map((s) => s.heap)) });
      }
      const secondHalf = minutes.filter((p) => p.m > minutes.length / 2);
      const perTenMinutes = (key: 'rss' | 'heap') => slope(secondHalf.map((p) => ({ x: p.m, y: p[key] }))) * 10;
      const rssSlope = perTenMinutes('rss');
      const heapSlope = perTenMinutes('heap');
      const trend = minutes.map((p) => `${p.m} min ${fmt(p.rss)}/${fmt(p.heap)}`);
      const lag = stream.delivered.length - (samples.at(-1)?.stored ?? 0);
      return {
        rows: [
          {
            scenario: 'drill: soak',
            measure: `${Math.round(seconds / 60)} min, ${MAILBOXES} mailboxes: RSS trend`,
            baseline: `${fmt(samples[0]?.rss ?? Number.NaN)} MB at ${SAMPLE_MS / 1000} s`,
            figure: `${fmt(samples.at(-1)?.rss ?? Number.NaN)} MB at end; 2nd half ${rssSlope >= 0 ? '+' : ''}${fmt(rssSlope, 1)} MB/10 min`,
            ratio: '',
            goal: `2nd half ≤ +${GROWTH_LIMIT_MB_PER_10_MIN} MB/10 min`,
            met: minutes.length < MIN_MINUTES_FOR_TREND ? null : rssSlope <= GROWTH_LIMIT_MB_PER_10_MIN,
          },
          {
            scenario: 'drill: soak',
            measure: 'V8 heap in use (floor) trend',
            baseline: `${fmt(samples[0]?.heap ?? Number.NaN)} MB at ${SAMPLE_MS / 1000} s`,
            figure: `${fmt(samples.at(-1)?.heap ?? Number.NaN)} MB at end; 2nd half ${heapSlope >= 0 ? '+' : ''}${fmt(heapSlope, 1)} MB/10 min`,
            ratio: '',
            goal: `2nd half ≤ +${GROWTH_LIMIT_MB_PER_10_MIN} MB/10 min`,
            met: minutes.length < MIN_MINUTES_FOR_TREND ? null : heapSlope <= GROWTH_LIMIT_MB_PER_10_MIN,
          },
          exactlyOnceRow('drill: soak', check, allStoredAt !== null),
        ],
        notes: [
          `${MAILBOXES} processors (auto-reply on) on one worker; ${rate} realistic messages/s (2–200 KB mix) delivered into the Maildirs for ${seconds} s: ${stream.delivered.length} messages, ${ctx.resend.mails.length - repliesBefore} auto-replies sent. Worker CPU ${fmt(workerCpu, 0)} s (${fmt((workerCpu / seconds) * 100)}% of one core).`,
          `Worker memory by minute (median RSS / lowest heap in use, MB): ${trend.join(', ')}.`,
          `Second-half slope: RSS ${fmt(rssSlope, 1)} MB per 10 min, heap ${fmt(heapSlope, 1)} MB per 10 min; peak RSS ${fmt(Math.max(...samples.map((s) => s.rss)))} MB. Messages not yet stored when the stream stopped: ${lag}.`,
          `Exactly-once: ${describeExactlyOnce(check)}.`,
        ],
      };
    } finally {
      watcher.stop();
      await dep.stop();
    }
  },
};
