// 7. Search: full-text search over whole cases (subjects, senders, message text, attachment names)
// through tRPC over HTTP on the real web server, with 100,000 cases and 300,000 messages; a common
// word, a rare word and a phrase, beside the list's first page and the health endpoint, measured
// interleaved in the same run so all see the same noise.
import { sql } from 'drizzle-orm';
import { createUser } from '../../server/services/users';
import type { BenchContext, Scenario } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { ratio } from '../lib/report';
import { fmt, summarize } from '../lib/stats';

const PROCESSORS = 4;
const MESSAGES_PER_CASE = 3;
const WARM_UP_ROUNDS = 20;
/** Cases per seeding statement: each statement's triggers rebuild the word index of its cases. */
const SEED_CHUNK = 10_000;

// Words of support mail, drawn unevenly (the first ones most often), plus a long tail of rarer words,
// so that the index holds what a real one does: a few words in most messages, most words in few.
const COMMON = [
  'the', 'and', 'to', 'my', 'i', 'is', 'please', 'order', 'account', 'invoice', 'help', 'thanks', 'hello',
  'payment', 'delivery', 'refund', 'password', 'login', 'error', 'since', 'yesterday', 'again', 'app',
  'customer', 'number', 'problem', 'update', 'email', 'address', 'billing', 'shipping', 'cancel',
];
const PHRASE_SENTENCE = 'Where is my tracking number for the parcel?';
const OTHER_LANGUAGES = [
  'Bonjour, ma facture est erronée, merci de vérifier le numéro de commande.',
  'Guten Tag, die Lieferung ist noch nicht angekommen, bitte prüfen Sie das.',
  '注文した商品がまだ届いていません。東京の住所に送ってください。',
  '您好，我的账户无法登录，请帮忙处理。',
];
const RARE_WORD = 'zephyrine';
const RARE_CASES = 25;

export async function seedSearchCases(dep: Pick<Deployment, 'db'>, count: number, log: (m: string) => void): Promise<void> {
  const contacts = Math.max(100, Math.round(count * 0.3));
  await dep.db.execute(sql`
    insert into email_processors (email_address, name, host, port, use_ssl, login, password_ciphertext, auto_reply, active)
    select 'support' || g || '@bench.example', 'Support ' || g, 'mail.bench.example', 993, true, 'support' || g, 'not-a-ciphertext', false, false
      from generate_series(1, ${PROCESSORS}) g`);
  await dep.db.execute(sql`
    insert into contacts (first_name, last_name, email)
    select (array['Jane','John','Amélie','Jürgen','Priya','Kenji','Olga','Carlos','Fatima','Liam'])[1 + abs(hashtext(g || 'f')) % 10],
           (array['Doe','Smith','Müller','Dubois','Sharma','Tanaka','Ivanova','García','Haddad','Rossi'])[1 + abs(hashtext(g || 'l')) % 10],
           'customer' || g || '@' || (array['customer.example','acme-corp.example','mail.example.org','shop.example.net'])[1 + g % 4]
      from generate_series(1, ${contacts}) g`);
  const common = sql.raw(`array[${COMMON.map((w) => `'${w}'`).join(',')}]`);
  const languages = sql.raw(`array[${OTHER_LANGUAGES.map((w) => `'${w}'`).join(',')}]`);
  for (let from = 1; from <= count; from += SEED_CHUNK) {
    const to = Math.min(count, from + SEED_CHUNK - 1);
    await dep.db.transaction(async (tx) => {
      await tx.execute(sql`
        with c as (select array_agg(id order by id) ids from contacts),
             p as (select array_agg(id order by id) ids from email_processors)
        insert into cases (subject, status, contact_id, processor_id, last_activity_at, created_at)
        select (array['Invoice question','Cannot log in','Order has not arrived','Refund request','Bug in the mobile app',
                      'Change my billing address','Password reset link expired','Contract renewal','Wrong item delivered',
                      'Question about the API limits'])[1 + abs(hashtext(g || 's')) % 10] || ' #' || g,
               (array['new','open','pending','closed']::case_status[])[1 + abs(hashtext(g || 'st')) % 4],
               c.ids[1 + abs(hashtext(g || 'c')) % cardinality(c.ids)],
               p.ids[1 + abs(hashtext(g || 'p')) % cardinality(p.ids)],
               now() - make_interval(secs => (${count} - g) * 300 + abs(hashtext(g || 'm')) % 300),
               now() - make_interval(secs => (${count} - g) * 300 + 600)
          from generate_series(${from}::int, ${to}::int) g, c, p`);
      // Three messages a case, 40 words each: mostly common words (squared draw: the first ones most
      // often), one in five from a tail of 30,000 rarer words; a phrase in one message of ten, another
      // language in one of twenty, the rare word in ${RARE_CASES} cases.
      await tx.execute(sql`
        insert into case_messages (case_id, processor_id, direction, message_id, from_address, from_name, subject, text_body, thread_reason, created_at)
        select k.id, k.processor_id, 'inbound', 'seed-' || k.number || '-' || n || '@bench.example', ct.email, ct.first_name || ' ' || ct.last_name,
               k.subject,
               (select string_agg(case when abs(hashtext(k.number || ':' || n || ':' || w || 'x')) % 5 = 0
                                       then 'w' || (abs(hashtext(k.number || ':' || n || ':' || w || 't')) % 30000)
                                       else (${common})[1 + floor(power((abs(hashtext(k.number || ':' || n || ':' || w)) % 1000) / 1000.0, 2) * ${COMMON.length})::int]
                                  end, ' ')
                  from generate_series(1, 40) w)
               || case when abs(hashtext(k.number || ':' || n || 'ph')) % 10 = 0 then ' ' || ${PHRASE_SENTENCE} else '' end
               || case when abs(hashtext(k.number || ':' || n || 'lg')) % 20 = 0 then ' ' || (${languages})[1 + abs(hashtext(k.number || 'lg')) % 4] else '' end
               || case when n = 2 and k.number % ${Math.max(1, Math.floor(count / RARE_CASES))} = 7 then ' ' || ${RARE_WORD} else '' end,
               case when n = 1 then 'new'::thread_reason else 'tag'::thread_reason end,
               k.created_at + make_interval(secs => n * 60)
          from cases k join contacts ct on ct.id = k.contact_id, generate_series(1, ${MESSAGES_PER_CASE}) n
         where k.number between ${from} and ${to}`);
    });
    if ((to / SEED_CHUNK) % 2 === 0 || to === count) log(`seeded ${fmt(to)} of ${fmt(count)} cases`);
  }
  await dep.db.execute(sql`analyze`);
}

export const search: Scenario = {
  key: 'search',
  name: '7. Search',
  async run(ctx: BenchContext) {
    const count = ctx.size(100_000, 10_000);
    const rounds = ctx.size(300, 100);
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, label: 'search' });
    try {
      const viewer = await createUser({ db: dep.db, actor: null, input: { email: 'viewer@bench.example', name: 'Viewing Agent', role: 'agent', password: 'bench-password-1' } });
      const seedStarted = performance.now();
      await seedSearchCases(dep, count, ctx.log);
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      const [sizes] = await dep.db.execute<{ cases: number; messages: number; common: number; rare: number; phrase: number; index: string }>(sql`
        select (select count(*)::int from cases) as cases,
               (select count(*)::int from case_messages) as messages,
               (select count(*)::int from cases where search_vector @@ plainto_tsquery('leopard_search', 'invoice')) as common,
               (select count(*)::int from cases where search_vector @@ plainto_tsquery('leopard_search', ${RARE_WORD})) as rare,
               (select count(distinct case_id)::int from case_messages where search_vector @@ phraseto_tsquery('leopard_search', 'tracking number')) as phrase,
               pg_size_pretty(pg_relation_size('cases_search_idx') + pg_relation_size('cases_subject_search_idx')) as index`);
      ctx.log(`${fmt(sizes.cases)} cases, ${fmt(sizes.messages)} messages seeded in ${fmt(seedSeconds, 1)} s`);
      const web = await dep.startWeb();
      const cookie = await web.cookieFor(viewer.id);

      const requests = {
        first: { limit: 50 },
        common: { limit: 50, search: 'invoice' },
        rare: { limit: 50, search: RARE_WORD },
        phrase: { limit: 50, search: '"tracking number"' },
      } as const;
      const health = async () => {
        const t = performance.now();
        const res = await fetch(`${web.url}/api/health`);
        await res.text();
        if (!res.ok) throw new Error(`health answered ${res.status}`);
        return performance.now() - t;
      };
      const list = async (input: unknown) => {
        const r = await web.query(cookie, 'cases.list', input);
        if (r.status !== 200) throw new Error(`cases.list answered ${r.status}: ${r.body.slice(0, 300)}`);
        return r;
      };
      const found: Record<string, number> = {};
      for (let i = 0; i < WARM_UP_ROUNDS; i++) {
        await health();
        for (const [name, input] of Object.entries(requests)) {
          const r = await list(input);
          found[name] = (JSON.parse(r.body) as { result: { data: { json: { items: unknown[] } } } }).result.data.json.items.length;
        }
      }
      ctx.log(`page sizes: ${Object.entries(found).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      const times: Record<'health' | keyof typeof requests, number[]> = { health: [], first: [], common: [], rare: [], phrase: [] };
      for (let i = 0; i < rounds; i++) {
        times.health.push(await health());
        for (const [name, input] of Object.entries(requests) as Array<[keyof typeof requests, unknown]>) times[name].push((await list(input)).ms);
      }
      const h = summarize(times.health);
      const row = (name: keyof typeof requests, label: string, goal: boolean) =>
        (['p50', 'p95'] as const).map((p) => {
          const s = summarize(times[name]);
          return {
            scenario: '7. search',
            measure: `${label}, ${p} (n=${rounds})`,
            baseline: `${fmt(h[p], 1)} ms (health)`,
            figure: `${fmt(s[p], 1)} ms`,
            ratio: ratio(s[p], h[p]),
            goal: goal && p === 'p95' ? 'p95 ≤ 50 ms' : '',
            met: goal && p === 'p95' ? s.p95 <= 50 : null,
          };
        });
      return {
        rows: [
          ...row('first', 'list, first page (no search)', false),
          ...row('common', `search "invoice" (common: ${fmt(sizes.common)} cases)`, true),
          ...row('rare', `search "${RARE_WORD}" (rare: ${fmt(sizes.rare)} cases)`, true),
          ...row('phrase', `search "tracking number" (phrase: ${fmt(sizes.phrase)} cases)`, true),
        ],
        notes: [
          `${fmt(sizes.cases)} cases and ${fmt(sizes.messages)} messages (${MESSAGES_PER_CASE} per case, ~40 words each: common support words drawn unevenly, a tail of 30,000 rarer words, a phrase in one message of ten, French/German/Japanese/Chinese in one of twenty), seeded with SQL in ${fmt(seedSeconds, 1)} s through the same triggers as the intake, then ANALYZE; word indexes ${sizes.index}.`,
          `Each round, in turn: GET /api/health, cases.list first page (50), then the three searches (50 a page, with snippets); ${rounds} rounds after ${WARM_UP_ROUNDS} warm-up rounds, one request at a time, over HTTP to the production build. Page sizes returned: ${Object.entries(found).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
        ],
      };
    } finally {
      await dep.stop();
    }
  },
};
