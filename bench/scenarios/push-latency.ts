// 1. Push latency: APPEND → a signed-in browser socket receives case.created, one message at a time,
// spread across the processors; against a bare imapflow IDLE client on the same mailbox.
import { sql } from 'drizzle-orm';
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { probeMail } from '../lib/mail-generator';
import { readMemory } from '../lib/proc';
import { PushProbe, type PushSample } from '../lib/push-probe';
import { type ResultRow, ratio } from '../lib/report';
import { ingestLag, lagBetween } from '../lib/worker-metrics';
import { fmt, summarize } from '../lib/stats';

/** First messages per run that warm the worker's and web server's code paths; reported, not counted. */
const WARM_UP_MESSAGES = 5;
/** Pause between one message being seen and the next APPEND. */
const GAP_MS = 100;

/** `arrival`: how the mail reached the mailbox, the start of each measure ('APPEND', or 'delivered' into the Maildir). */
export function latencyRows(scenario: string, samples: PushSample[], goals: { p50?: number; p95?: number; p99?: number }, arrival = 'APPEND'): ResultRow[] {
  const base = summarize(samples.map((s) => s.baselineMs));
  const full = summarize(samples.map((s) => s.leopardMs));
  const added = summarize(samples.map((s) => s.addedMs));
  return (['p50', 'p95', 'p99'] as const).map((p) => {
    const goal = goals[p];
    return {
      scenario,
      measure: `${arrival} → seen, ${p} (n=${samples.length})`,
      baseline: `${fmt(base[p])} ms (bare IDLE)`,
      figure: `${fmt(full[p])} ms; added ${p} ${fmt(added[p])} ms`,
      ratio: ratio(full[p], base[p]),
      goal: goal === undefined ? '' : `added ${p} ≤ ${goal} ms`,
      met: goal === undefined ? null : added[p] <= goal,
    };
  });
}

export const pushLatency: Scenario = {
  key: 'push',
  name: '1. Push latency',
  async run(ctx: BenchContext) {
    const messages = ctx.size(200, 40);
    const processors = ctx.size(20, 4);
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'push' });
    const probe = new PushProbe(ctx.dovecot);
    try {
      const boxes = await dep.createMailboxes(processors, { autoReply: true });
      const web = await dep.startWeb();
      const worker = await dep.startWorker();
      await dep.waitForIdle(boxes.map((b) => b.processorId), 60_000);
      probe.listen(await web.socket(dep.database.admin.id));
      await probe.watch(boxes);
      ctx.log(`${processors} processors idle; sending ${messages} messages one at a time`);

      const send = async (i: number, label: string) => {
        const box = boxes[i % boxes.length]!;
        const token = `${label}${ctx.runId}-${i}`;
        const mail = probeMail({ token, to: box.address, from: { name: `Customer ${i}`, address: `customer.${token}@customer.example` } });
        return probe.send(box.user, token, mail.raw);
      };
      for (let i = 0; i < WARM_UP_MESSAGES; i++) {
        await send(i, 'warm');
        await sleep(GAP_MS);
      }
      const samples: PushSample[] = [];
      const cpuBefore = process.cpuUsage();
      const lagBefore = await ingestLag(worker.port);
      for (let i = 0; i < messages; i++) {
        const sample = await send(i, 'push');
        if (sample) samples.push(sample);
        await sleep(GAP_MS);
        if ((i + 1) % 50 === 0) ctx.log(`${i + 1}/${messages} sent`);
      }
      const [{ n: cases }] = await dep.db.execute<{ n: number }>(sql`select count(*)::int as n from cases where subject like ${'[push' + ctx.runId + '-%'}`);
      const memory = readMemory(worker.child.pid!);
      const lag = lagBetween(lagBefore, await ingestLag(worker.port));
      const added = summarize(samples.map((s) => s.addedMs));
      const rows = latencyRows('1. push latency', samples, { p50: 50, p99: 150 });
      if (samples.length < messages) {
        rows.push({ scenario: '1. push latency', measure: 'messages seen', baseline: `${messages} sent`, figure: `${samples.length}`, ratio: '', goal: 'all', met: false });
      }
      const benchCpu = process.cpuUsage(cpuBefore);
      return {
        rows,
        notes: [
          `${messages} messages across ${processors} processors (auto-reply on, distinct senders), one APPEND at a time with ${GAP_MS} ms between; ${WARM_UP_MESSAGES} warm-up messages first, not counted.`,
          `Added latency per message = socket case.created time − bare IDLE client's EXISTS time: p50 ${fmt(added.p50)} ms, p95 ${fmt(added.p95)} ms, p99 ${fmt(added.p99)} ms, max ${fmt(added.max)} ms.`,
          `${cases} cases created for ${messages} messages; missed (not seen within 30 s): ${probe.missed.length}.`,
          `The worker's own measure (its /metrics, from IDLE's EXISTS to the commit): mean ${fmt(lag.meanMs, 1)} ms over ${lag.count} commits; the rest of the added latency is NOTIFY → web server → Socket.IO, and the worker's IMAP session noticing EXISTS later than the bare client.`,
          `Worker RSS at the end ${fmt(memory.rssMb)} MB; bench process CPU during the run ${fmt((benchCpu.user + benchCpu.system) / 1e6, 1)} s.`,
        ],
      };
    } finally {
      await probe.close();
      await dep.stop();
    }
  },
};
