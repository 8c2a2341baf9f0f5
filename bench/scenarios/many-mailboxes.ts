// 3. Many mailboxes: N active processors on one worker, each in IDLE. The worker's RSS once settled,
// against a bare node process holding N imapflow IDLE clients; then one message per mailbox arriving
// over a window (two minutes at full scale), with added push latency against bare IDLE clients.
import { sql } from 'drizzle-orm';
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { measureIdleClients } from '../lib/idle-clients';
import { seededRandom } from '../../test/harness/seeded-random';
import { probeMail } from '../lib/mail-generator';
import { cpuSeconds, readMemory } from '../lib/proc';
import { PushProbe, type PushSample } from '../lib/push-probe';
import { ratio } from '../lib/report';
import { fmt, summarize } from '../lib/stats';
import { heapUsedMb, sessionErrors, summarizeWorkerLog } from '../lib/worker-metrics';
import { latencyRows } from './push-latency';

const SETTLE_MS = 15_000;
const QUIET_AFTER_WAVE_MS = 60_000;

export const manyMailboxes: Scenario = {
  key: 'mailboxes',
  name: '3. Many mailboxes',
  async run(ctx: BenchContext) {
    const count = ctx.size(1_000, 100);
    const windowSeconds = ctx.size(120, 20);
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'many' });
    const probe = new PushProbe(ctx.dovecot);
    try {
      const createStarted = performance.now();
      const boxes = await dep.createMailboxes(count, { autoReply: true, prefix: `many${ctx.runId}-`, concurrency: 8 });
      const ids = boxes.map((b) => b.processorId);
      ctx.log(`${count} mailboxes with processors created in ${fmt((performance.now() - createStarted) / 1000, 1)} s`);
      const web = await dep.startWeb();

      const worker = await dep.startWorker();
      const pid = worker.child.pid!;
      const settleMs = await dep.waitForIdle(ids, 15 * 60_000, (idle) => ctx.log(`worker connecting: ${idle}/${count} idle`));
      ctx.log(`all ${count} idle after ${fmt(settleMs / 1000, 1)} s; settling ${SETTLE_MS / 1000} s`);
      await sleep(SETTLE_MS);
      const settled = readMemory(pid);
      const settledHeap = await heapUsedMb(worker.port);
      const health = await worker.health();
      const errorsWhileConnecting = await sessionErrors(worker.port);

      ctx.log(`baseline: a bare process with ${count} IDLE clients`);
      const baseline = await measureIdleClients({
        host: ctx.dovecot.host,
        port: ctx.dovecot.imapPort,
        accounts: boxes.map((b) => ({ user: b.user, password: String(ctx.dovecot.clientOptions(b.user).auth?.pass) })),
      });

      probe.listen(await web.socket(dep.database.admin.id));
      const watchSeconds = await probe.watch(boxes, 8, (n) => ctx.log(`probe connections: ${n}/${count}`));
      ctx.log(`probe ready in ${fmt(watchSeconds, 1)} s; ${count} messages over ${windowSeconds} s`);

      const rand = seededRandom(3);
      const order = boxes.map((b, i) => ({ b, i, k: rand() })).sort((x, y) => x.k - y.k);
      const spacingMs = (windowSeconds * 1000) / count;
      const cpuBefore = cpuSeconds(pid);
      const waveStarted = performance.now();
      const pending: Array<Promise<PushSample | null>> = [];
      for (let n = 0; n < order.length; n++) {
        const due = waveStarted + n * spacingMs;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const { b, i } = order[n]!;
        const token = `many${ctx.runId}-${i}`;
        pending.push(probe.send(b.user, token, probeMail({ token, to: b.address, from: { name: `Customer ${i}`, address: `c.${token}@customer.example` } }).raw));
      }
      const samples = (await Promise.all(pending)).filter((s): s is PushSample => s !== null);
      const waveSeconds = (performance.now() - waveStarted) / 1000;
      const workerCpu = cpuSeconds(pid) - cpuBefore;
      const afterWave = readMemory(pid);
      const afterWaveHeap = await heapUsedMb(worker.port);
      // Is what the wave added kept (a leak) or only not yet returned? Read again after a quiet minute.
      await sleep(QUIET_AFTER_WAVE_MS);
      const later = readMemory(pid);
      const laterHeap = await heapUsedMb(worker.port);
      const [{ n: cases }] = await dep.db.execute<{ n: number }>(sql`select count(*)::int as n from cases where processor_id in ${ids}`);
      const added = summarize(samples.map((s) => s.addedMs));
      const errorsAfterWave = await sessionErrors(worker.port);
      const describeErrors = (e: Record<string, number>) => Object.entries(e).map(([code, n]) => `${n} ${code}`).join(', ') || 'none';

      const rows = [
        {
          scenario: '3. many mailboxes',
          measure: `worker RSS, ${count} IDLE mailboxes`,
          baseline: `${fmt(baseline.rssMb)} MB (bare node + ${count} IDLE clients)`,
          figure: `${fmt(settled.rssMb)} MB`,
          ratio: ratio(settled.rssMb, baseline.rssMb),
          goal: 'RSS ≤ 400 MB',
          met: settled.rssMb <= 400,
        },
        {
          scenario: '3. many mailboxes',
          measure: `time until all ${count} connected and idle`,
          baseline: `${fmt(baseline.openSeconds, 1)} s (bare clients, 8 logins at a time)`,
          figure: `${fmt(settleMs / 1000, 1)} s`,
          ratio: ratio(settleMs / 1000, baseline.openSeconds),
          goal: '',
          met: null,
        },
        ...latencyRows('3. many mailboxes', samples, { p99: 300 }),
      ];
      if (samples.length < count) rows.push({ scenario: '3. many mailboxes', measure: 'messages seen', baseline: `${count} sent`, figure: `${samples.length}`, ratio: '', goal: 'all', met: false });
      return {
        rows,
        notes: [
          `${count} Dovecot users, each with an active processor (auto-reply on) and a default filter, on one worker process with the product's defaults (LEASE_TTL_MS 15 s, POLL_INTERVAL_MS 60 s).`,
          `Worker: all idle ${fmt(settleMs / 1000, 1)} s after start (Dovecot accepts ~30–50 logins/s here); ${health.processors} sessions held; RSS ${fmt(settled.rssMb)} MB after ${SETTLE_MS / 1000} s settling (peak so far ${fmt(settled.hwmMb)} MB, V8 heap in use ${fmt(settledHeap)} MB); ${fmt(afterWave.rssMb)} MB right after the wave (heap ${fmt(afterWaveHeap)} MB), ${fmt(later.rssMb)} MB after ${QUIET_AFTER_WAVE_MS / 1000} s more without mail (heap ${fmt(laterHeap)} MB).`,
          `Baseline process: ${baseline.clients} bare imapflow clients in IDLE, RSS ${fmt(baseline.rssMb)} MB (${fmt(baseline.emptyRssMb)} MB before the first client: ≈ ${fmt((baseline.rssMb - baseline.emptyRssMb) / Math.max(1, baseline.clients), 3)} MB per client).`,
          `Mailbox session failures (worker /metrics) while connecting: ${describeErrors(errorsWhileConnecting)}; by the end of the wave: ${describeErrors(errorsAfterWave)}. Worker warnings: ${summarizeWorkerLog(worker.output())}.`,
          `Wave: ${count} messages, one per mailbox in random order, every ${fmt(spacingMs)} ms, over ${fmt(waveSeconds, 1)} s; ${samples.length} seen, ${probe.missed.length} missed; ${cases} cases. Added latency p50 ${fmt(added.p50)} ms, p95 ${fmt(added.p95)} ms, p99 ${fmt(added.p99)} ms, max ${fmt(added.max)} ms. Worker CPU during the wave ${fmt(workerCpu, 1)} s.`,
        ],
      };
    } finally {
      await probe.close();
      await dep.stop();
    }
  },
};
