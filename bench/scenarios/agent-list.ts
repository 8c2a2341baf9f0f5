// 5. Agent list: the cases list (first page, a filtered page, a search) through tRPC over HTTP on the
// real web server, with N cases in the database; p50/p95 against the health endpoint's round trip,
// measured interleaved in the same run so both see the same noise.
import { sql } from 'drizzle-orm';
import { createUser } from '../../server/services/users';
import type { BenchContext, Scenario } from '../lib/context';
import { Deployment } from '../lib/deployment';
import { ratio } from '../lib/report';
import { fmt, summarize } from '../lib/stats';

const AGENTS = 12;
const PROCESSORS = 8;
const WARM_UP_ROUNDS = 20;

async function seedCases(dep: Deployment, count: number, viewerId: string): Promise<void> {
  const contacts = Math.max(100, Math.round(count * 0.3));
  await dep.db.execute(sql`
    insert into users (email, name, password_hash, role)
    select 'agent' || g || '@bench.example', 'Agent ' || g, 'not-a-hash', 'agent' from generate_series(2, ${AGENTS}) g`);
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
  await dep.db.execute(sql`
    with c as (select array_agg(id order by id) ids from contacts),
         u as (select array_agg(id order by id) ids from users where role = 'agent' or id = ${viewerId}),
         p as (select array_agg(id order by id) ids from email_processors),
         t as (select array_agg(id order by id) ids from case_types),
         r as (select array_agg(id order by id) ids from case_priorities)
    insert into cases (subject, status, case_type_id, case_priority_id, assigned_to_id, contact_id, processor_id, is_spam, last_activity_at, created_at)
    select (array['Invoice question','Cannot log in','Order has not arrived','Refund request','Bug in the mobile app','Change my billing address',
                  'Password reset link expired','Contract renewal','Wrong item delivered','Question about the API limits'])[1 + abs(hashtext(g || 's')) % 10] || ' #' || g,
           (array['new','open','pending','closed']::case_status[])[1 + abs(hashtext(g || 'st')) % 4],
           t.ids[1 + abs(hashtext(g || 't')) % cardinality(t.ids)],
           r.ids[1 + abs(hashtext(g || 'r')) % cardinality(r.ids)],
           case when abs(hashtext(g || 'a')) % 6 = 0 then null else u.ids[1 + abs(hashtext(g || 'u')) % cardinality(u.ids)] end,
           c.ids[1 + abs(hashtext(g || 'c')) % cardinality(c.ids)],
           p.ids[1 + abs(hashtext(g || 'p')) % cardinality(p.ids)],
           abs(hashtext(g || 'sp')) % 50 = 0,
           now() - make_interval(secs => (${count} - g) * 300 + abs(hashtext(g || 'm')) % 300),
           now() - make_interval(secs => (${count} - g) * 300 + 600)
      from generate_series(1, ${count}) g, c, u, p, t, r`);
  await dep.db.execute(sql`
    insert into case_messages (case_id, processor_id, direction, message_id, from_address, from_name, subject, text_body, thread_reason, created_at)
    select k.id, k.processor_id, 'inbound', 'seed-' || k.number || '@bench.example', ct.email, ct.first_name || ' ' || ct.last_name, k.subject,
           repeat('Hello, I have a question about my account and the last invoice. ', 8), 'new', k.created_at
      from cases k join contacts ct on ct.id = k.contact_id`);
  await dep.db.execute(sql`analyze`);
}

export const agentList: Scenario = {
  key: 'list',
  name: '5. Agent list',
  async run(ctx: BenchContext) {
    const count = ctx.size(100_000, 10_000);
    const rounds = ctx.size(300, 100);
    const dep = await Deployment.create({ postgres: ctx.postgres, dovecot: ctx.dovecot, label: 'list' });
    try {
      const viewer = await createUser({ db: dep.db, actor: null, input: { email: 'viewer@bench.example', name: 'Viewing Agent', role: 'agent', password: 'bench-password-1' } });
      const seedStarted = performance.now();
      await seedCases(dep, count, viewer.id);
      const [{ n: seeded }] = await dep.db.execute<{ n: number }>(sql`select count(*)::int as n from cases`);
      ctx.log(`${seeded} cases seeded in ${fmt((performance.now() - seedStarted) / 1000, 1)} s`);
      const web = await dep.startWeb();
      const cookie = await web.cookieFor(viewer.id);

      const requests = {
        first: { limit: 50 },
        filtered: { limit: 50, status: 'open', mine: true },
        search: { limit: 50, search: 'invoice' },
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
      // Warm-up: also checks that each query returns a full page.
      for (let i = 0; i < WARM_UP_ROUNDS; i++) {
        await health();
        for (const [name, input] of Object.entries(requests)) {
          const r = await list(input);
          const items = (JSON.parse(r.body) as { result: { data: { json: { items: unknown[] } } } }).result.data.json.items.length;
          if (i === 0 && items !== 50) ctx.log(`note: ${name} page returned ${items} items`);
        }
      }
      const times: Record<'health' | keyof typeof requests, number[]> = { health: [], first: [], filtered: [], search: [] };
      for (let i = 0; i < rounds; i++) {
        times.health.push(await health());
        for (const [name, input] of Object.entries(requests) as Array<[keyof typeof requests, unknown]>) times[name].push((await list(input)).ms);
      }
      const h = summarize(times.health);
      const row = (name: keyof typeof requests, label: string, goal: boolean) =>
        (['p50', 'p95'] as const).map((p) => {
          const s = summarize(times[name]);
          return {
            scenario: '5. agent list',
            measure: `${label}, ${p} (n=${rounds})`,
            baseline: `${fmt(h[p], 1)} ms (health)`,
            figure: `${fmt(s[p], 1)} ms`,
            ratio: ratio(s[p], h[p]),
            goal: goal && p === 'p95' ? 'p95 ≤ 50 ms' : '',
            met: goal && p === 'p95' ? s.p95 <= 50 : null,
          };
        });
      const s = summarize(times.search);
      return {
        rows: [...row('first', 'first page', true), ...row('filtered', 'filtered page (mine, open)', true), ...row('search', 'search "invoice"', false)],
        notes: [
          `${fmt(seeded)} cases (${AGENTS} agents, ${PROCESSORS} processors, ${fmt(Math.round(count * 0.3))} contacts, one inbound message each; statuses, assignees and types spread evenly; 2% spam), seeded with SQL, then ANALYZE.`,
          `Each round, in turn: GET /api/health, cases.list first page (50), cases.list { status: open, mine: true }, cases.list { search: "invoice" }; ${rounds} rounds after ${WARM_UP_ROUNDS} warm-up rounds, one request at a time, over HTTP to the production build.`,
          `Search (not a goal of the issue, measured because it is the list's slowest path): p50 ${fmt(s.p50, 1)} ms, p95 ${fmt(s.p95, 1)} ms, max ${fmt(s.max, 1)} ms.`,
        ],
      };
    } finally {
      await dep.stop();
    }
  },
};
