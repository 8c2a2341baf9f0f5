// Large bytea values (a big raw message, a big attachment) reach Postgres in slices.
//
// postgres.js sends every query parameter as text, in one synchronous step: a bytea becomes a hex string
// twice its size and is copied about four times on its way to the socket. For a 34 MB message (a 25 MB
// attachment) each such value took ~200 MB more memory and blocked the worker's event loop, and with it
// every other mailbox of the worker, for ~1.7 s (measured by bench/scenarios/big-message.ts). Staged
// 64 KB at a time, as base64, into a temporary table and put together by Postgres (string_agg), the same
// value costs ~45 MB and blocks for ~25 ms.
//
// Decisions:
// - Not COPY FROM STDIN: postgres.js 3.4.9 never settles a COPY whose error (or lost connection) arrives
//   after the stream ended, which would hang the mailbox session for good.
// - The slices live in a temporary table dropped at commit, so nothing outlives the transaction on a pooled
//   connection; a savepoint rolled back takes its slices with it.
// - Values up to LARGE_BYTEA_BYTES (nearly all mail) go in the statement itself, also as base64 text decoded by
//   Postgres rather than a bytea parameter: measured on 1,000 values of 29 KB, the worker spent ~100 ms instead
//   of ~250 ms making and sending them (postgres.js's hex is twice the bytes, built and copied as one string
//   per value) and Postgres ~100 ms instead of ~90 ms reading them.
import { type SQL, sql } from 'drizzle-orm';
import type { Transaction } from './client';

export const LARGE_BYTEA_BYTES = 1024 * 1024;
/**
 * Each slice's base64 text (and postgres.js's message holding it) stays under V8's large-object size (128 KiB),
 * so it is reclaimed by the next young-generation collection. Slices of 1 MB made 1.4 MB strings and buffers that
 * only a full collection frees: staging a 34 MB message left up to ~65 MB of them at once, its largest transient
 * cost in the worker (bench/scenarios/big-message.ts). Measured alone: ~25 MB with 64 KB slices.
 */
export const SLICE_BYTES = 64 * 1024;
/** Slice statements sent ahead of the answer to the first: the round trips overlap, the memory stays small. */
const SLICES_IN_FLIGHT = 8;

let nextKey = 0;

/**
 * Runs `insert` with a value for each of `buffers`: the Buffer itself when small; when large, the SQL that
 * puts together the slices staged for it. The slices are dropped at commit.
 */
export async function withLargeBytea<T>(tx: Transaction, buffers: Buffer[], insert: (values: SQL[]) => Promise<T>): Promise<T> {
  if (buffers.every((b) => b.length <= LARGE_BYTEA_BYTES)) return insert(buffers.map(inline));
  await tx.execute(sql`create temporary table if not exists leopard_bytea_slices (k int not null, n int not null, slice bytea not null) on commit drop`);
  const values: SQL[] = [];
  for (const bytes of buffers) {
    if (bytes.length <= LARGE_BYTEA_BYTES) {
      values.push(inline(bytes));
      continue;
    }
    const key = ++nextKey;
    const inFlight: Promise<unknown>[] = [];
    try {
      for (let start = 0, n = 0; start < bytes.length; start += SLICE_BYTES, n++) {
        if (inFlight.length >= SLICES_IN_FLIGHT) await inFlight.shift();
        // base64 rather than a bytea parameter: 4/3 of the bytes as text instead of postgres.js's 2× hex.
        const slice = bytes.subarray(start, start + SLICE_BYTES).toString('base64');
        // drizzle's query runs once it is awaited (then): started here, once, and held as a plain promise.
        inFlight.push(Promise.resolve(tx.execute(sql`insert into leopard_bytea_slices (k, n, slice) values (${key}, ${n}, decode(${slice}, 'base64'))`)));
      }
      await Promise.all(inFlight);
    } finally {
      // A failed slice fails the ones after it too; none is left unawaited.
      await Promise.allSettled(inFlight);
    }
    values.push(sql`(select string_agg(slice, ''::bytea order by n) from leopard_bytea_slices where k = ${key})`);
  }
  const result = await insert(values);
  await tx.execute(sql`delete from leopard_bytea_slices`);
  return result;
}

/** A small value as base64 text that Postgres decodes: 4/3 of its bytes instead of postgres.js's 2× hex. */
function inline(bytes: Buffer): SQL {
  return sql`decode(${bytes.toString('base64')}, 'base64')`;
}
