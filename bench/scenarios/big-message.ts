// 4. Big message: one mail with a 25 MB attachment. The worker's peak RSS growth while it takes it
// (VmHWM, reset just before, minus the RSS before), against the message's size; and whether other
// mailboxes' added push latency changes while it is ingested (against the same mailboxes just before).
import { sql } from 'drizzle-orm';
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { bigAttachmentMail, probeMail } from '../lib/mail-generator';
import { eventLoopDelay, sampleWorkerWaits, type WaitSummary } from '../lib/pg-waits';
import { readMemory, resetPeak } from '../lib/proc';
import { PushProbe, type PushSample } from '../lib/push-probe';
import { ratio } from '../lib/report';
import { fmt, summarize } from '../lib/stats';

const OTHER_MAILBOXES = 6;
const QUIET_SAMPLES = 30;
/** Small mail to other mailboxes keeps going for this long after the big one is seen. */
const TAIL_MS = 2_000;
/** "Unaffected": other mailboxes' added p95 during the big ingest within this of the quiet p95. */
const UNAFFECTED_MARGIN_MS = 50;
/** Pause between two small mails to the same mailbox. */
const PER_MAILBOX_GAP_MS = 600;

export const bigMessage: Scenario = {
  key: 'big',
  name: '4. Big message',
  async run(ctx: BenchContext) {
    const attachmentBytes = ctx.size(25, 5) * 1024 * 1024;
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'big' });
    const probe = new PushProbe(ctx.dovecot);
    try {
      const [bigBox, ...others] = await dep.createMailboxes(1 + OTHER_MAILBOXES, { autoReply: true });
      const web = await dep.startWeb();
      const worker = await dep.startWorker();
      const pid = worker.child.pid!;
      await dep.waitForIdle([bigBox!, ...others].map((b) => b.processorId), 60_000);
      probe.listen(await web.socket(dep.database.admin.id));
      await probe.watch([bigBox!, ...others]);

      let n = 0;
      const small = (i: number) => {
        const box = others[i % others.length]!;
        const token = `small${ctx.runId}-${n++}`;
        return probe.send(box.user, token, probeMail({ token, to: box.address, from: { name: 'Other Customer', address: `o.${token}@customer.example` } }).raw);
      };
      // Warm-up and the quiet reference: one mailbox at a time, as in scenario 1.
      for (let i = 0; i < 5; i++) await small(i);
      // What the worker's database sessions wait on, and its event-loop delay, quiet and then during the big one.
      await eventLoopDelay(worker.port);
      const quietWaits = sampleWorkerWaits(dep.db);
      const quiet: PushSample[] = [];
      for (let i = 0; i < QUIET_SAMPLES; i++) {
        const s = await small(i);
        if (s) quiet.push(s);
        await sleep(100);
      }

      const quietWait = await quietWaits.stop();
      const quietLoop = await eventLoopDelay(worker.port);
      await sleep(3_000);
      const before = readMemory(pid);
      const peakReset = resetPeak(pid);
      const bigToken = `big${ctx.runId}`;
      const mail = bigAttachmentMail({ token: bigToken, attachmentBytes, to: bigBox!.address });
      ctx.log(`big message: ${fmt(mail.raw.length / 1024 ** 2, 1)} MB on the wire (${fmt(attachmentBytes / 1024 ** 2)} MB attachment)`);

      // While it is appended and ingested, every other mailbox keeps receiving small mail.
      let bigDone = false;
      let tailUntil = Number.POSITIVE_INFINITY;
      const during: PushSample[] = [];
      await eventLoopDelay(worker.port);
      const duringWaits = sampleWorkerWaits(dep.db);
      const bigStarted = performance.now();
      const big = probe.send(bigBox!.user, bigToken, mail.raw, 300_000).then((s) => {
        bigDone = true;
        tailUntil = performance.now() + TAIL_MS;
        return s;
      });
      await Promise.all(
        others.map(async (box, i) => {
          await sleep(i * 80);
          while (!bigDone || performance.now() < tailUntil) {
            const s = await small(i);
            if (s) during.push(s);
            // As in the quiet phase: let the session go back to IDLE first. Mail that arrives while a
            // session is still busy is announced at once, not after Dovecot's IDLE delay, which would
            // make "during" look better than it is.
            await sleep(PER_MAILBOX_GAP_MS);
          }
        }),
      );
      const bigSample = await big;
      const bigSeconds = (performance.now() - bigStarted) / 1000;
      const duringWait = await duringWaits.stop();
      const duringLoop = await eventLoopDelay(worker.port);
      const after = readMemory(pid);
      const growthMb = after.hwmMb - before.rssMb;
      const sizeMb = mail.raw.length / 1024 ** 2;
      const [stored] = await dep.db.execute<{ attachments: number; bytes: number }>(sql`
        select count(*)::int as attachments, coalesce(sum(a.size), 0)::bigint as bytes
          from attachments a join case_messages m on m.id = a.case_message_id
         where m.processor_id = ${bigBox!.processorId}`);

      const q = summarize(quiet.map((s) => s.addedMs));
      const d = summarize(during.map((s) => s.addedMs));
      return {
        rows: [
          {
            scenario: '4. big message',
            measure: 'worker peak RSS growth',
            baseline: `${fmt(sizeMb, 1)} MB (the message)`,
            figure: `${fmt(growthMb, 1)} MB`,
            ratio: ratio(growthMb, sizeMb),
            goal: '≤ 3× the message',
            met: bigSample !== null && growthMb <= 3 * sizeMb,
          },
          {
            scenario: '4. big message',
            measure: `others' added p95 during ingest (n=${during.length})`,
            baseline: `${fmt(q.p95)} ms (same mailboxes, quiet, n=${quiet.length})`,
            figure: `${fmt(d.p95)} ms`,
            ratio: ratio(d.p95, q.p95),
            goal: `unaffected (≤ quiet + ${UNAFFECTED_MARGIN_MS} ms)`,
            met: during.length > 0 && d.p95 <= q.p95 + UNAFFECTED_MARGIN_MS,
          },
        ],
        notes: [
          `One message of ${fmt(mail.raw.length)} bytes (${fmt(attachmentBytes / 1024 ** 2)} MB PDF-like attachment, base64) APPENDed to one mailbox; ${OTHER_MAILBOXES} other mailboxes on the same worker.`,
          `Big message: APPEND → case.created ${bigSample ? `${fmt(bigSample.leopardMs)} ms (bare IDLE client saw it after ${fmt(bigSample.baselineMs)} ms)` : 'NOT SEEN'}; whole exchange ${fmt(bigSeconds, 1)} s; stored attachments: ${stored!.attachments} (${fmt(Number(stored!.bytes) / 1024 ** 2, 1)} MB).`,
          `Worker RSS ${fmt(before.rssMb)} MB before, peak ${fmt(after.hwmMb)} MB (${peakReset ? 'VmHWM reset just before' : 'VmHWM could not be reset: peak since start'}), ${fmt(after.rssMb)} MB after.`,
          `Worker event-loop delay max/p99: quiet ${fmt(quietLoop.maxMs)}/${fmt(quietLoop.p99Ms)} ms, during the big ingest ${fmt(duringLoop.maxMs)}/${fmt(duringLoop.p99Ms)} ms. Worker database sessions (pg_stat_activity every ~5 ms, busy sessions only): quiet ${waitsText(quietWait)}; during ${waitsText(duringWait)}.`,
          `Other mailboxes' added latency: quiet p50/p95/max ${fmt(q.p50)}/${fmt(q.p95)}/${fmt(q.max)} ms; during the big ingest (and ${TAIL_MS / 1000} s after) p50/p95/max ${fmt(d.p50)}/${fmt(d.p95)}/${fmt(d.max)} ms; missed ${probe.missed.length}.`,
        ],
      };
    } finally {
      await probe.close();
      await dep.stop();
    }
  },
};

function waitsText(summary: WaitSummary): string {
  const top = summary.byWait.slice(0, 8).map((w) => `${w.wait} ${fmt(w.share * 100)}%`);
  return `${summary.samples} samples${top.length ? `: ${top.join(', ')}` : ', none busy'}`;
}
