// 3. Many mailboxes (1,000) and 10. 5,000 mailboxes: N active processors on one worker, each in IDLE. The
// worker's RSS once settled, against a bare node process holding N imapflow IDLE clients; the time until all
// N are idle, against the bare clients' logins; then one message per mailbox arriving over a window (two
// minutes for 1,000, five for 5,000), with added push latency against bare IDLE clients. The bench runs each
// twice (bench/lib/context.ts `runs`).
//
//   BENCH_5K_MAILBOXES=5000      mailboxes of scenario 10 (default 5,000; fewer while trying things out)
//   BENCH_5K_WAVE_SECONDS=300    its wave (default the five minutes)
//   BENCH_COPY_TO_SENT=off       both scenarios with the processors' "Copy to Sent" off (default on, the product's
//                                default: each auto-reply's copy is one more IMAP login; the bench's mailboxes have
//                                no Sent folder, so each copy fails and is retried later)
import os from 'node:os';
import { sql } from 'drizzle-orm';
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { measureIdleClients } from '../lib/idle-clients';
import { seededRandom } from '../../test/harness/seeded-random';
import { probeMail } from '../lib/mail-generator';
import { cpuSeconds, readMemory } from '../lib/proc';
import { PushProbe, type PushSample } from '../lib/push-probe';
import { ratio, type ResultRow } from '../lib/report';
import { fmt, summarize } from '../lib/stats';
import { describeHeap, heapBreakdown, sessionErrors, summarizeWorkerLog } from '../lib/worker-metrics';
import { latencyRows } from './push-latency';

const SETTLE_MS = 15_000;
const QUIET_AFTER_WAVE_MS = 60_000;
/** The next run starts once Dovecot's processes of this one have exited (thousands take a while on 2 cores). */
const DOVECOT_DRAIN_TIMEOUT_MS = 120_000;

type ManyMailboxesSpec = {
  key: string;
  name: string;
  /** The first column of its rows. */
  label: string;
  count(ctx: BenchContext): number;
  windowSeconds(ctx: BenchContext): number;
  goals: { rssMb: number; rssLabel: string; idleSeconds: number | null; p99Ms: number };
  /**
   * How the wave's mail arrives: APPEND on a warm connection per mailbox, or written into the Maildir (no
   * IMAP session: 5,000 APPEND connections would be 5,000 more Dovecot processes beside the measured ones).
   */
  delivery: 'append' | 'maildir';
  /** Logins at a time of the baseline clients and the probe's IDLE clients. */
  baselineConcurrency: number;
};

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return n;
}

function manyMailboxesScenario(spec: ManyMailboxesSpec): Scenario {
  return {
    key: spec.key,
    name: spec.name,
    runs: 2,
    run: (ctx) => runManyMailboxes(ctx, spec),
  };
}

export const manyMailboxes = manyMailboxesScenario({
  key: 'mailboxes',
  name: '3. Many mailboxes',
  label: '3. many mailboxes',
  count: (ctx) => ctx.size(1_000, 100),
  windowSeconds: (ctx) => ctx.size(120, 20),
  goals: { rssMb: 400, rssLabel: '400 MB', idleSeconds: null, p99Ms: 300 },
  delivery: 'append',
  baselineConcurrency: 8,
});

export const fiveThousandMailboxes = manyMailboxesScenario({
  key: 'mailboxes5k',
  name: '10. 5,000 mailboxes',
  label: '10. 5,000 mailboxes',
  count: (ctx) => Math.round(envNumber('BENCH_5K_MAILBOXES', ctx.size(5_000, 500))),
  windowSeconds: (ctx) => envNumber('BENCH_5K_WAVE_SECONDS', ctx.size(300, 30)),
  goals: { rssMb: 1024, rssLabel: '1 GB', idleSeconds: 60, p99Ms: 300 },
  delivery: 'maildir',
  baselineConcurrency: 16,
});

async function runManyMailboxes(ctx: BenchContext, spec: ManyMailboxesSpec) {
  const count = spec.count(ctx);
  const windowSeconds = spec.windowSeconds(ctx);
  const label = spec.label;
  const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'many' });
  const probe = new PushProbe(ctx.dovecot, spec.delivery);
  const dovecotProcessesBefore = ctx.dovecot.processes().length;
  try {
    const createStarted = performance.now();
    const boxes = await dep.createMailboxes(count, { autoReply: true, prefix: `many${ctx.runId}-`, concurrency: 8 });
    const ids = boxes.map((b) => b.processorId);
    ctx.log(`${count} mailboxes with processors created in ${fmt((performance.now() - createStarted) / 1000, 1)} s`);
    const copyToSent = process.env.BENCH_COPY_TO_SENT !== 'off';
    if (!copyToSent) await dep.db.execute(sql`update email_processors set copy_to_sent = false where id in ${ids}`);
    const web = await dep.startWeb();

    // Other work on the machine slows the logins: the 1-minute load average as the worker starts and once all are idle.
    const loadAtStart = os.loadavg()[0]!;
    const worker = await dep.startWorker();
    const pid = worker.child.pid!;
    // How the worker comes up: idle sessions every 5 s, to see whether logins slow down as sessions pile up.
    const progress: string[] = [];
    const settleMs = await dep.waitForIdle(ids, 15 * 60_000, (idle) => {
      progress.push(`${idle}`);
      ctx.log(`worker connecting: ${idle}/${count} idle, RSS ${fmt(readMemory(pid).rssMb)} MB`);
    });
    const peakWhileConnecting = readMemory(pid).hwmMb;
    const loadWhenIdle = os.loadavg()[0]!;
    ctx.log(`all ${count} idle after ${fmt(settleMs / 1000, 1)} s; settling ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);
    const settled = readMemory(pid);
    const settledHeap = await heapBreakdown(worker.port);
    const health = await worker.health();
    const errorsWhileConnecting = await sessionErrors(worker.port);

    ctx.log(`baseline: a bare process with ${count} IDLE clients`);
    const baseline = await measureIdleClients({
      host: ctx.dovecot.host,
      port: ctx.dovecot.imapPort,
      accounts: boxes.map((b) => ({ user: b.user, password: String(ctx.dovecot.clientOptions(b.user).auth?.pass) })),
      concurrency: spec.baselineConcurrency,
    });

    probe.listen(await web.socket(dep.database.admin.id));
    const watchSeconds = await probe.watch(boxes, spec.baselineConcurrency, (n) => n % 1000 === 0 && ctx.log(`probe connections: ${n}/${count}`));
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
    const afterWaveHeap = await heapBreakdown(worker.port);
    // Is what the wave added kept (a leak) or only not yet returned? Read again after a quiet minute.
    await sleep(QUIET_AFTER_WAVE_MS);
    const later = readMemory(pid);
    const laterHeap = await heapBreakdown(worker.port);
    const [{ n: cases }] = await dep.db.execute<{ n: number }>(sql`select count(*)::int as n from cases where processor_id in ${ids}`);
    const added = summarize(samples.map((s) => s.addedMs));
    const errorsAfterWave = await sessionErrors(worker.port);
    const describeErrors = (e: Record<string, number>) => Object.entries(e).map(([code, n]) => `${n} ${code}`).join(', ') || 'none';
    const { goals } = spec;
    const settleSeconds = settleMs / 1000;

    const rows: ResultRow[] = [
      {
        scenario: label,
        measure: `worker RSS, ${count} IDLE mailboxes`,
        baseline: `${fmt(baseline.rssMb)} MB (bare node + ${count} IDLE clients)`,
        figure: `${fmt(settled.rssMb)} MB`,
        ratio: ratio(settled.rssMb, baseline.rssMb),
        goal: `RSS ≤ ${goals.rssLabel}`,
        met: settled.rssMb <= goals.rssMb,
      },
      {
        scenario: label,
        measure: `time until all ${count} connected and idle`,
        baseline: `${fmt(baseline.openSeconds, 1)} s (bare clients, ${spec.baselineConcurrency} logins at a time)`,
        figure: `${fmt(settleSeconds, 1)} s`,
        ratio: ratio(settleSeconds, baseline.openSeconds),
        goal: goals.idleSeconds === null ? '' : `≤ ${goals.idleSeconds} s`,
        met: goals.idleSeconds === null ? null : settleSeconds <= goals.idleSeconds,
      },
      ...latencyRows(label, samples, { p99: goals.p99Ms }, spec.delivery === 'append' ? 'APPEND' : 'delivered'),
    ];
    if (samples.length < count) rows.push({ scenario: label, measure: 'messages seen', baseline: `${count} sent`, figure: `${samples.length}`, ratio: '', goal: 'all', met: false });
    const delivered =
      spec.delivery === 'append'
        ? 'APPEND on a warm connection per mailbox'
        : 'written into the Maildir as a local delivery agent does (no IMAP session; the bare IDLE client and the worker hear of it by the same inotify)';
    return {
      rows,
      notes: [
        `${count} Dovecot users, each with an active processor (auto-reply on) and a default filter, on one worker process with the product's defaults (LEASE_TTL_MS 15 s, POLL_INTERVAL_MS 60 s); the worker logs in with STARTTLS, the bare clients without TLS. Copy to Sent ${copyToSent ? 'on (the default; the mailboxes have no Sent folder, so each auto-reply\'s copy logs in, fails and is retried later)' : 'off (BENCH_COPY_TO_SENT=off)'}.`,
        `Worker: all idle ${fmt(settleSeconds, 1)} s after start (${fmt(count / Math.max(settleSeconds, 0.001))} logins/s; idle every 5 s: ${progress.join(', ') || '–'}; load average ${fmt(loadAtStart, 1)} at start, ${fmt(loadWhenIdle, 1)} when all were idle); ${health.processors} sessions held; peak RSS while connecting ${fmt(peakWhileConnecting)} MB; RSS ${fmt(settled.rssMb)} MB after ${SETTLE_MS / 1000} s settling (peak so far ${fmt(settled.hwmMb)} MB; ${describeHeap(settledHeap)}); ${fmt(afterWave.rssMb)} MB right after the wave (${describeHeap(afterWaveHeap)}), ${fmt(later.rssMb)} MB after ${QUIET_AFTER_WAVE_MS / 1000} s more without mail (${describeHeap(laterHeap)}).`,
        `Baseline process: ${baseline.clients} bare imapflow clients in IDLE, RSS ${fmt(baseline.rssMb)} MB (${fmt(baseline.emptyRssMb)} MB before the first client: ≈ ${fmt((baseline.rssMb - baseline.emptyRssMb) / Math.max(1, baseline.clients), 3)} MB per client); opened in ${fmt(baseline.openSeconds, 1)} s (${fmt(baseline.clients / Math.max(baseline.openSeconds, 0.001))} logins/s).`,
        `Mailbox session failures (worker /metrics) while connecting: ${describeErrors(errorsWhileConnecting)}; by the end of the wave: ${describeErrors(errorsAfterWave)}. Worker warnings: ${summarizeWorkerLog(worker.output())}.`,
        `Wave: ${count} messages, one per mailbox in random order, every ${fmt(spacingMs)} ms, over ${fmt(waveSeconds, 1)} s, ${delivered}; ${samples.length} seen, ${probe.missed.length} missed; ${cases} cases. Added latency p50 ${fmt(added.p50)} ms, p95 ${fmt(added.p95)} ms, p99 ${fmt(added.p99)} ms, max ${fmt(added.max)} ms. Worker CPU during the wave ${fmt(workerCpu, 1)} s.`,
      ],
    };
  } finally {
    await probe.close();
    await dep.stop();
    const drainStarted = performance.now();
    while (ctx.dovecot.processes().length > dovecotProcessesBefore + 10 && performance.now() - drainStarted < DOVECOT_DRAIN_TIMEOUT_MS) await sleep(1_000);
    ctx.log(`Dovecot back to ${ctx.dovecot.processes().length} processes after ${fmt((performance.now() - drainStarted) / 1000, 1)} s`);
  }
}
