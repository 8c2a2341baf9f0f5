// 6. Scale out: two worker processes started together on N processors. Checked: every processor is held
// by exactly one worker (the database's leases, each worker's own count, and Dovecot's list of sessions
// agree); then the worker holding more is killed (SIGKILL: no hand-back), one message is delivered to
// every mailbox, and the bench times until the survivor holds the dead worker's processors and their
// mail is stored. Ends with the nothing-lost-nothing-doubled check.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment, PRODUCT_WORKER_ENV } from '../lib/deployment';
import { checkExactlyOnce, type Delivered, describeExactlyOnce, exactlyOnceRow } from '../lib/exactly-once';
import { deliverToMaildir } from '../lib/maildir';
import { probeMail } from '../lib/mail-generator';
import { ratio } from '../lib/report';
import { summarizeWorkerLog } from '../lib/worker-metrics';
import { fmt } from '../lib/stats';

const TAKEOVER_TIMEOUT_MS = 5 * 60_000;

/** IMAP sessions per Dovecot user, from `doveadm who -1` (one line per session). */
export function sessionsPerUser(dovecotDir: string): Map<string, number> {
  const out = execFileSync('doveadm', ['-c', path.join(dovecotDir, 'dovecot.conf'), 'who', '-1'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const counts = new Map<string, number>();
  for (const line of out.split('\n').slice(1)) {
    const user = line.trim().split(/\s+/)[0];
    if (user) counts.set(user, (counts.get(user) ?? 0) + 1);
  }
  return counts;
}

export const scaleOut: Scenario = {
  key: 'scaleout',
  name: '6. Scale out',
  runs: 2,
  async run(ctx: BenchContext) {
    const count = ctx.size(1_000, 100);
    const leaseTtlMs = Number(PRODUCT_WORKER_ENV.LEASE_TTL_MS);
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'scale' });
    try {
      const boxes = await dep.createMailboxes(count, { autoReply: false, prefix: `scale${ctx.runId}-`, concurrency: 8 });
      const ids = boxes.map((b) => b.processorId);
      const started = performance.now();
      const workers = await Promise.all([dep.startWorker(), dep.startWorker()]);
      const settleMs = await dep.waitForIdle(ids, 15 * 60_000, (idle) => ctx.log(`two workers connecting: ${idle}/${count} idle`));
      await sleep(2 * 1000);
      const healths = await Promise.all(workers.map((w) => w.health()));
      const leases = await dep.db.execute<{ owner: string | null; n: number; live: number }>(sql`
        select l.lease_owner as owner, count(*)::int as n, count(*) filter (where l.lease_expires_at > now())::int as live
          from email_processors p left join processor_leases l on l.processor_id = p.id where p.id in ${ids} group by l.lease_owner`);
      const sessions = sessionsPerUser(ctx.dovecot.dir);
      const ourSessions = boxes.map((b) => sessions.get(b.user) ?? 0);
      const split = healths.map((h) => h.processors);
      const leaseSplit = healths.map((h) => leases.find((l) => l.owner === h.workerId)?.live ?? 0);
      const exactlyOneHolder =
        split[0]! + split[1]! === count &&
        leaseSplit[0] === split[0] &&
        leaseSplit[1] === split[1] &&
        ourSessions.every((n) => n === 1);
      ctx.log(`split ${split.join(' + ')} (leases ${leaseSplit.join(' + ')}); sessions per mailbox: ${[...new Set(ourSessions)].join(', ')}`);

      // Kill the busier worker without letting it hand anything back.
      const victimIndex = split[0]! >= split[1]! ? 0 : 1;
      const victim = workers[victimIndex]!;
      const survivor = workers[1 - victimIndex]!;
      const survivorId = healths[1 - victimIndex]!.workerId;
      const victimId = healths[victimIndex]!.workerId;
      const victimProcessors = new Set(
        (await dep.db.execute<{ id: string }>(sql`select processor_id as id from processor_leases where lease_owner = ${victimId}`)).map((r) => r.id),
      );
      await victim.kill('SIGKILL');
      const killedAt = performance.now();
      // Mail keeps arriving for every mailbox, the dead worker's and the survivor's.
      const delivered: Delivered[] = [];
      for (const [i, b] of boxes.entries()) {
        const token = `scale${ctx.runId}-${i}`;
        const mail = probeMail({ token, to: b.address, from: { name: 'Scale Customer', address: `s.${token}@customer.example` } });
        deliverToMaildir(ctx.dovecot, b.user, mail.raw);
        delivered.push({ processorId: b.processorId, messageId: mail.messageId });
      }
      let leasedAt: number | null = null;
      let storedAt: number | null = null;
      let survivorStoredAt: number | null = null;
      const victimIds = [...victimProcessors];
      const survivorIds = ids.filter((id) => !victimProcessors.has(id));
      while ((leasedAt === null || storedAt === null || survivorStoredAt === null) && performance.now() - killedAt < TAKEOVER_TIMEOUT_MS) {
        if (leasedAt === null && victimIds.length > 0) {
          const [{ n }] = await dep.db.execute<{ n: number }>(
            sql`select count(*)::int as n from processor_leases where processor_id in ${victimIds} and lease_owner = ${survivorId} and lease_expires_at > now()`,
          );
          if (n === victimIds.length) leasedAt = performance.now();
        } else if (victimIds.length === 0) leasedAt = killedAt;
        const stored = await dep.db.execute<{ processor_id: string; n: number }>(sql`
          select processor_id, count(*)::int as n from case_messages
           where direction = 'inbound' and processor_id in ${ids} and message_id like ${`scale${ctx.runId}-%`}
           group by processor_id`);
        const storedFor = (set: string[]) => set.filter((id) => (stored.find((s) => s.processor_id === id)?.n ?? 0) >= 1).length;
        if (storedAt === null && storedFor(victimIds) === victimIds.length) storedAt = performance.now();
        if (survivorStoredAt === null && storedFor(survivorIds) === survivorIds.length) survivorStoredAt = performance.now();
        await sleep(100);
      }
      const takeoverSeconds = leasedAt === null ? Number.NaN : (leasedAt - killedAt) / 1000;
      const resumedSeconds = storedAt === null ? Number.NaN : (storedAt - killedAt) / 1000;
      const survivorSeconds = survivorStoredAt === null ? Number.NaN : (survivorStoredAt - killedAt) / 1000;
      await sleep(3_000);
      const check = await checkExactlyOnce(dep.db, delivered);
      const survivorHealth = await survivor.health();
      const afterSessions = sessionsPerUser(ctx.dovecot.dir);
      const afterCounts = boxes.map((b) => afterSessions.get(b.user) ?? 0);
      const doubledAfter = boxes.filter((b) => (afterSessions.get(b.user) ?? 0) > 1);
      const doubledOfVictim = doubledAfter.filter((b) => victimProcessors.has(b.processorId)).length;

      return {
        rows: [
          {
            scenario: '6. scale out',
            measure: `each of ${count} worked by exactly one`,
            baseline: '',
            figure: `split ${split.join(' + ')}; sessions/mailbox ${[...new Set(ourSessions)].sort().join(',')}`,
            ratio: '',
            goal: 'exactly one each',
            met: exactlyOneHolder,
          },
          {
            scenario: '6. scale out',
            measure: 'both workers get a share',
            baseline: `${count} processors`,
            figure: `${split.join(' + ')}`,
            ratio: '',
            goal: 'each holds some',
            met: split[0]! > 0 && split[1]! > 0,
          },
          {
            scenario: '6. scale out',
            measure: `kill one: its ${victimIds.length} taken over, s`,
            baseline: `${fmt(leaseTtlMs / 1000)} s (LEASE_TTL_MS)`,
            figure: `leases ${fmt(takeoverSeconds, 1)} s; mail stored ${fmt(resumedSeconds, 1)} s`,
            ratio: ratio(resumedSeconds, leaseTtlMs / 1000),
            goal: '≤ 15 s',
            met: resumedSeconds <= 15,
          },
          exactlyOnceRow('6. scale out', check),
        ],
        notes: [
          `${count} processors; two workers started together with the product defaults (LEASE_TTL_MS ${leaseTtlMs / 1000} s, renewal every ${leaseTtlMs / 3000} s); all idle ${fmt(settleMs / 1000, 1)} s after start (${fmt((performance.now() - started) / 1000, 1)} s incl. checks).`,
          `Split: worker A holds ${split[0]}, worker B ${split[1]} (live leases ${leaseSplit.join(' / ')}); Dovecot sessions per mailbox: ${[...new Set(ourSessions)].sort().join(', ')}.`,
          `Killed the worker holding ${victimIds.length} (SIGKILL); one message delivered to each of the ${count} mailboxes right after (maildir delivery, no IMAP login). Survivor leased all of them after ${fmt(takeoverSeconds, 1)} s; their mail was stored after ${fmt(resumedSeconds, 1)} s; the survivor's own mailboxes' mail after ${fmt(survivorSeconds, 1)} s.`,
          `Worker warnings: survivor ${summarizeWorkerLog(survivor.output())}; killed worker ${summarizeWorkerLog(victim.output())}.`,
          `Afterwards the survivor holds ${survivorHealth.processors} sessions; Dovecot sessions per mailbox: ${[...new Set(afterCounts)].sort().join(', ')} (${doubledAfter.length} mailboxes with more than one, ${doubledOfVictim} of them the killed worker's). Exactly-once: ${describeExactlyOnce(check)}.`,
        ],
      };
    } finally {
      await dep.stop();
    }
  },
};
