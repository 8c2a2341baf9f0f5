// The check every drill and the scale-out scenario end with: each message that reached a mailbox is
// stored exactly once as an inbound case message of that mailbox's processor: none lost, none doubled.
import { sql } from 'drizzle-orm';
import type { Database } from '../../server/db/client';
import type { ResultRow } from './report';

export type Delivered = { processorId: string; messageId: string };

export type ExactlyOnce = { expected: number; stored: number; lost: Delivered[]; doubled: Array<Delivered & { copies: number }>; quarantined: number };

/** Message-IDs as stored: normalised without angle brackets. */
const bare = (id: string) => id.replace(/^<|>$/g, '');

export async function checkExactlyOnce(db: Database, delivered: Delivered[]): Promise<ExactlyOnce> {
  const processorIds = [...new Set(delivered.map((d) => d.processorId))];
  if (processorIds.length === 0) return { expected: 0, stored: 0, lost: [], doubled: [], quarantined: 0 };
  const rows = await db.execute<{ processor_id: string; message_id: string; copies: number }>(sql`
    select processor_id, message_id, count(*)::int as copies from case_messages
     where direction = 'inbound' and processor_id in ${processorIds}
     group by processor_id, message_id`);
  const [q] = await db.execute<{ n: number }>(sql`select count(*)::int as n from quarantine where processor_id in ${processorIds}`);
  const stored = new Map(rows.map((r) => [`${r.processor_id} ${r.message_id}`, r.copies]));
  const lost: Delivered[] = [];
  const doubled: Array<Delivered & { copies: number }> = [];
  for (const d of delivered) {
    const copies = stored.get(`${d.processorId} ${bare(d.messageId)}`) ?? 0;
    if (copies === 0) lost.push(d);
    if (copies > 1) doubled.push({ ...d, copies });
  }
  // `stored` counts every inbound row of these processors: a row nobody delivered shows as stored > expected.
  return { expected: delivered.length, stored: rows.reduce((n, r) => n + r.copies, 0), lost, doubled, quarantined: q?.n ?? 0 };
}

export function describeExactlyOnce(r: ExactlyOnce): string {
  return `${r.expected} delivered, ${r.stored} stored: ${r.lost.length} lost, ${r.doubled.length} doubled, ${r.quarantined} quarantined`;
}

export function isExactlyOnce(r: ExactlyOnce): boolean {
  return r.lost.length === 0 && r.doubled.length === 0 && r.stored === r.expected && r.quarantined === 0;
}

/** The result row "nothing lost or doubled"; `complete` is false when the run stopped waiting before all was stored. */
export function exactlyOnceRow(scenario: string, check: ExactlyOnce, complete = true): ResultRow {
  return {
    scenario,
    measure: 'nothing lost or doubled',
    baseline: `${check.expected} delivered`,
    figure: `${check.stored} stored, ${check.lost.length} lost, ${check.doubled.length} doubled`,
    ratio: '',
    goal: 'exactly once',
    met: isExactlyOnce(check) && complete,
  };
}
