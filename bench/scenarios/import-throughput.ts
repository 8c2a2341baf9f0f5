// 2. Import throughput: the first sync of one mailbox that already holds N realistic messages, until
// every case exists and the import shows done. Baselines on the same messages in the same run:
// (a) a bare imapflow FETCH of every source (no parsing, no database) and (b) mailparser's simpleParser
// with default options over the messages held in memory, in one process.
import os from 'node:os';
import { sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { mailboxHarness } from '../../test/harness/mailboxes';
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { seededRandom } from '../../test/harness/seeded-random';
import { type GeneratedMail, realisticMail } from '../lib/mail-generator';
import { cpuSeconds, readMemory, resetPeak, treeCpuSeconds } from '../lib/proc';
import { ratio } from '../lib/report';
import { fmt } from '../lib/stats';

const APPEND_CONNECTIONS = 4;
const IMPORT_TIMEOUT_MS = 20 * 60_000;

export const importThroughput: Scenario = {
  key: 'import',
  name: '2. Import throughput',
  async run(ctx: BenchContext) {
    const count = ctx.size(10_000, 1_000);
    const rand = seededRandom(20_260_101);
    const mails: GeneratedMail[] = [];
    for (let i = 0; i < count; i++) mails.push(realisticMail(rand, { token: `imp${ctx.runId}-${i}` }));
    const totalBytes = mails.reduce((n, m) => n + m.raw.length, 0);
    const kinds = mails.reduce<Record<string, number>>((acc, m) => ({ ...acc, [m.kind]: (acc[m.kind] ?? 0) + 1 }), {});
    ctx.log(`generated ${count} messages, ${fmt(totalBytes / 1024 ** 2)} MB (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')})`);

    // Fill the mailbox through IMAP APPEND, a few connections at once.
    const account = await ctx.dovecot.addUser(`import${ctx.runId}`);
    const appendStarted = performance.now();
    const appenders = await Promise.all(Array.from({ length: APPEND_CONNECTIONS }, () => ctx.dovecot.connect(account.user, { disableAutoIdle: true })));
    let next = 0;
    await Promise.all(
      appenders.map(async (client) => {
        for (let i = next++; i < count; i = next++) await client.append('INBOX', mails[i]!.raw);
      }),
    );
    await Promise.all(appenders.map((c) => c.logout()));
    const appendSeconds = (performance.now() - appendStarted) / 1000;
    ctx.log(`appended in ${fmt(appendSeconds, 1)} s`);

    // Baseline (a): fetch every source, nothing else.
    const fetcher = await ctx.dovecot.connect(account.user, { disableAutoIdle: true });
    await fetcher.mailboxOpen('INBOX', { readOnly: true });
    let fetched = 0;
    let fetchedBytes = 0;
    const fetchStarted = performance.now();
    for await (const message of fetcher.fetch('1:*', { uid: true, source: true })) {
      fetched++;
      fetchedBytes += message.source?.length ?? 0;
    }
    const fetchSeconds = (performance.now() - fetchStarted) / 1000;
    await fetcher.logout();
    if (fetched !== count) throw new Error(`FETCH returned ${fetched} of ${count} messages`);
    const fetchRate = count / fetchSeconds;

    // Baseline (b): simpleParser, default options, one process, messages in memory.
    const parseStarted = performance.now();
    for (const mail of mails) await simpleParser(mail.raw);
    const parseSeconds = (performance.now() - parseStarted) / 1000;
    const parseRate = count / parseSeconds;
    ctx.log(`baselines: FETCH ${fmt(fetchRate)} msg/s, simpleParser ${fmt(parseRate)} msg/s`);
    mails.length = 0;

    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'import' });
    try {
      const worker = await dep.startWorker();
      const pid = worker.child.pid!;
      await sleep(2_000);
      const before = readMemory(pid);
      resetPeak(pid);
      const cpuBefore = cpuSeconds(pid);
      const pgPid = ctx.postgres.serverPid();
      const pgCpuBefore = pgPid ? treeCpuSeconds(pgPid) : Number.NaN;

      const harness = mailboxHarness({ dovecot: ctx.dovecot, db: dep.db, admin: dep.database.admin, secretKey: dep.secretKey });
      const started = performance.now();
      const box = await harness.connect({ account, autoReply: true, waitForFirstSync: false });
      let status: { stored: number; sync_status: string | null; import_done: number; import_total: number } | undefined;
      let lastLog = started;
      const rssSamples: number[] = [];
      for (;;) {
        [status] = await dep.db.execute<{ stored: number; sync_status: string | null; import_done: number; import_total: number }>(sql`
          select (select count(*)::int from case_messages where processor_id = p.id and direction = 'inbound') as stored,
                 p.sync_status, p.import_done, p.import_total
            from email_processors p where p.id = ${box.processorId}`);
        rssSamples.push(readMemory(pid).rssMb);
        if (status && status.stored >= count && status.sync_status === 'idle' && status.import_done >= count && status.import_total === count) break;
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          ctx.log(`importing: ${status?.stored ?? 0}/${count} stored, shows ${status?.import_done}/${status?.import_total} (${status?.sync_status})`);
        }
        if (performance.now() - started > IMPORT_TIMEOUT_MS) throw new Error(`import not done after ${IMPORT_TIMEOUT_MS / 1000} s: ${JSON.stringify(status)}`);
        await sleep(200);
      }
      const seconds = (performance.now() - started) / 1000;
      const rate = count / seconds;
      const after = readMemory(pid);
      const workerCpu = cpuSeconds(pid) - cpuBefore;
      const pgCpu = pgPid ? treeCpuSeconds(pgPid) - pgCpuBefore : Number.NaN;
      const [extra] = await dep.db.execute<{ cases: number; quarantined: number; outbox: number; distinct_ids: number }>(sql`
        select (select count(*)::int from cases where processor_id = ${box.processorId}) as cases,
               (select count(*)::int from quarantine where processor_id = ${box.processorId}) as quarantined,
               (select count(*)::int from outbox where processor_id = ${box.processorId}) as outbox,
               (select count(distinct message_id)::int from case_messages where processor_id = ${box.processorId} and direction = 'inbound') as distinct_ids`);
      const goal = Math.max(800, 0.75 * parseRate);
      return {
        rows: [
          {
            scenario: '2. import',
            measure: `first sync of ${fmt(count)} msgs, msg/s`,
            baseline: `${fmt(parseRate)} (b: simpleParser)`,
            figure: `${fmt(rate)} msg/s (${fmt(seconds, 1)} s)`,
            ratio: ratio(rate, parseRate),
            goal: `≥ 800 and ≥ 0.75 × (b) = ${fmt(0.75 * parseRate)}`,
            met: rate >= goal,
          },
          {
            scenario: '2. import',
            measure: 'vs bare FETCH of all sources',
            baseline: `${fmt(fetchRate)} (a: FETCH)`,
            figure: `${fmt(rate)} msg/s`,
            ratio: ratio(rate, fetchRate),
            goal: '',
            met: null,
          },
        ],
        notes: [
          `${fmt(count)} generated messages, ${fmt(totalBytes / 1024 ** 2)} MB (avg ${fmt(totalBytes / count / 1024, 1)} KB; ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}), APPENDed over ${APPEND_CONNECTIONS} connections in ${fmt(appendSeconds, 1)} s (${fmt(count / appendSeconds)} msg/s).`,
          `Baseline (a) FETCH 1:* of every source: ${fmt(fetchSeconds, 2)} s, ${fmt(fetchRate)} msg/s, ${fmt(fetchedBytes / 1024 ** 2 / fetchSeconds)} MB/s. Baseline (b) simpleParser (default options, sequential, in memory): ${fmt(parseSeconds, 1)} s, ${fmt(parseRate)} msg/s.`,
          `Leopard: from creating the processor (worker already running) to ${status!.stored} cases stored and the import showing ${status!.import_done} of ${status!.import_total}, idle: ${fmt(seconds, 1)} s. ${extra!.cases} cases, ${extra!.distinct_ids} distinct Message-IDs, ${extra!.quarantined} quarantined, ${extra!.outbox} auto-replies queued (import: must be 0).`,
          `Worker during the import: ${fmt(workerCpu, 1)} CPU-s (${fmt((workerCpu / seconds) * 100)}% of one core, ${fmt((workerCpu / count) * 1000, 1)} ms per message), RSS ${fmt(before.rssMb)} MB before, peak ${fmt(after.hwmMb)} MB, ${fmt(after.rssMb)} MB after. Postgres: ${fmt(pgCpu, 1)} CPU-s (${fmt((pgCpu / count) * 1000, 1)} ms per message). Both together use ${fmt(((workerCpu + pgCpu) / seconds) * 100)}% of one core (the machine has ${os.cpus().length}); the worker parses on a thread of its own, the next batch while the current one is written.`,
        ],
      };
    } finally {
      await dep.stop();
    }
  },
};
