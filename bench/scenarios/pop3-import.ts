// POP3 import throughput beside IMAP's: the same N generated messages are APPENDed to two mailboxes of the same
// Dovecot; in one deployment (one worker) an IMAP processor imports the first, then a POP3 processor (Dovecot's
// own POP3 service, STLS on the plain port) imports the second, each until every case exists and the import
// shows done. The IMAP import is the baseline; POP3 fetches one message per RETR round trip (no pipelining),
// IMAP fetches batches of 50 in one FETCH.
import { sql } from 'drizzle-orm';
import { createFilter } from '../../server/services/filters';
import { createProcessor } from '../../server/services/processors';
import { mailboxHarness } from '../../test/harness/mailboxes';
import { seededRandom } from '../../test/harness/seeded-random';
import { type BenchContext, type Scenario, sleep } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { type GeneratedMail, realisticMail } from '../lib/mail-generator';
import { ratio } from '../lib/report';
import { fmt } from '../lib/stats';

const IMPORT_TIMEOUT_MS = 20 * 60_000;

export const pop3Import: Scenario = {
  key: 'pop3',
  name: '9. POP3 import throughput',
  async run(ctx: BenchContext) {
    const count = ctx.size(5_000, 500);
    const rand = seededRandom(20_261_201);
    const mails: GeneratedMail[] = [];
    for (let i = 0; i < count; i++) mails.push(realisticMail(rand, { token: `pop${ctx.runId}-${i}` }));
    const totalBytes = mails.reduce((n, m) => n + m.raw.length, 0);
    const imapAccount = await ctx.dovecot.addUser(`p3imap${ctx.runId}`);
    const pop3Account = await ctx.dovecot.addUser(`p3pop${ctx.runId}`);
    for (const account of [imapAccount, pop3Account]) {
      const client = await ctx.dovecot.connect(account.user, { disableAutoIdle: true });
      for (const mail of mails) await client.append('INBOX', mail.raw);
      await client.logout();
    }
    mails.length = 0;
    ctx.log(`appended ${count} messages (${fmt(totalBytes / 1024 ** 2)} MB) to an IMAP and a POP3 mailbox`);

    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, resend: ctx.resend, label: 'pop3' });
    try {
      await dep.startWorker();
      await sleep(2_000);
      const untilImported = async (processorId: string, what: string) => {
        const started = performance.now();
        for (;;) {
          const [s] = await dep.db.execute<{ stored: number; sync_status: string | null; import_done: number; import_total: number }>(sql`
            select (select count(*)::int from case_messages where processor_id = p.id and direction = 'inbound') as stored,
                   p.sync_status, p.import_done, p.import_total
              from email_processors p where p.id = ${processorId}`);
          if (s && s.stored >= count && s.sync_status === 'idle' && s.import_done >= count && s.import_total === count) break;
          if (performance.now() - started > IMPORT_TIMEOUT_MS) throw new Error(`${what} import not done: ${JSON.stringify(s)}`);
          await sleep(200);
        }
        return (performance.now() - started) / 1000;
      };

      const harness = mailboxHarness({ dovecot: ctx.dovecot, db: dep.db, admin: dep.database.admin, secretKey: dep.secretKey });
      const imapStarted = performance.now();
      const imapBox = await harness.connect({ account: imapAccount, autoReply: true, waitForFirstSync: false });
      await untilImported(imapBox.processorId, 'IMAP');
      const imapSeconds = (performance.now() - imapStarted) / 1000;

      const pop3Started = performance.now();
      const processor = await createProcessor({
        db: dep.db,
        actor: dep.database.admin,
        key: dep.secretKey,
        input: {
          emailAddress: pop3Account.address,
          name: 'POP3 bench',
          active: true,
          host: '127.0.0.1',
          type: 'pop3',
          port: ctx.dovecot.pop3Port,
          useSsl: false,
          login: pop3Account.user,
          password: pop3Account.password,
          autoReply: true,
          allowUntrustedCert: true,
        },
      });
      await createFilter({
        db: dep.db,
        actor: dep.database.admin,
        input: { processorId: processor.id, matchField: null, headerName: null, matchRule: null, matchValue: null, priority: 10, stopFiltering: false, caseTypeId: null, casePriorityId: null, assignedToId: null, managedById: null },
      });
      await untilImported(processor.id, 'POP3');
      const pop3Seconds = (performance.now() - pop3Started) / 1000;
      const [extra] = await dep.db.execute<{ taken: number; outbox: number; distinct_ids: number }>(sql`
        select (select count(*)::int from pop3_taken where processor_id = ${processor.id}) as taken,
               (select count(*)::int from outbox where processor_id = ${processor.id}) as outbox,
               (select count(distinct message_id)::int from case_messages where processor_id = ${processor.id} and direction = 'inbound') as distinct_ids`);
      const imapRate = count / imapSeconds;
      const pop3Rate = count / pop3Seconds;
      return {
        rows: [
          {
            scenario: '9. pop3',
            measure: `first sync of ${fmt(count)} msgs over POP3, msg/s`,
            baseline: `${fmt(imapRate)} (IMAP, same messages)`,
            figure: `${fmt(pop3Rate)} msg/s (${fmt(pop3Seconds, 1)} s)`,
            ratio: ratio(pop3Rate, imapRate),
            goal: '',
            met: null,
          },
        ],
        notes: [
          `${fmt(count)} generated messages, ${fmt(totalBytes / 1024 ** 2)} MB, in two mailboxes of one Dovecot; one worker. IMAP import ${fmt(imapSeconds, 1)} s (${fmt(imapRate)} msg/s), then POP3 import ${fmt(pop3Seconds, 1)} s (${fmt(pop3Rate)} msg/s; STLS on the plain port, one RETR at a time, committed 50 a transaction).`,
          `POP3: ${extra!.taken} UIDLs recorded, ${extra!.distinct_ids} distinct Message-IDs stored, ${extra!.outbox} auto-replies queued (import: must be 0).`,
        ],
      };
    } finally {
      await dep.stop();
    }
  },
};
