// Large bytea values go to Postgres in slices (server/db/large-bytea.ts); what comes back must be the bytes.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/test-database';
import { LARGE_BYTEA_BYTES, SLICE_BYTES, withLargeBytea } from './large-bytea';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
  await testDb.db.execute(sql`create table bytea_probe (id serial primary key, content bytea not null)`);
});

afterAll(() => testDb?.drop());

async function stored(): Promise<Buffer[]> {
  const rows = await testDb.db.execute<{ content: Buffer }>(sql`select content from bytea_probe order by id`);
  return rows.map((r) => r.content);
}

describe('large bytea values', () => {
  it('stages slices whose base64 text stays under V8\'s large-object size, so young-generation collections reclaim them', () => {
    // 1 MB slices made 1.4 MB strings that only a full collection frees: a 34 MB value left ~65 MB of them behind.
    expect(Math.ceil(SLICE_BYTES / 3) * 4).toBeLessThan(128 * 1024);
    expect(LARGE_BYTEA_BYTES / SLICE_BYTES).toBeGreaterThan(1);
  });

  it('stores a small value and a value of several slices, in one insert, byte for byte', async () => {
    await testDb.db.execute(sql`truncate bytea_probe`);
    const small = randomBytes(1000);
    const large = randomBytes(LARGE_BYTEA_BYTES * 2 + 12345);
    const seen: unknown[] = [];
    await testDb.db.transaction((tx) =>
      withLargeBytea(tx, [small, large], async (values) => {
        seen.push(...values);
        await tx.execute(sql`insert into bytea_probe (content) values (${values[0]}), (${values[1]})`);
      }),
    );
    // Neither goes as a bytea parameter (which postgres.js sends as hex, twice the bytes): the small one is
    // base64 text in the statement, the large one put together from its slices.
    expect(Buffer.isBuffer(seen[0])).toBe(false);
    expect(Buffer.isBuffer(seen[1])).toBe(false);
    const [a, b] = await stored();
    expect(a!.equals(small)).toBe(true);
    expect(b!.length).toBe(large.length);
    expect(b!.equals(large)).toBe(true);
  });

  it('leaves no slices behind, and a rolled-back savepoint takes its slices with it', async () => {
    await testDb.db.execute(sql`truncate bytea_probe`);
    const large = randomBytes(LARGE_BYTEA_BYTES + 1);
    await testDb.db.transaction(async (tx) => {
      await tx
        .transaction((sp) =>
          withLargeBytea(sp, [large], async ([value]) => {
            await sp.execute(sql`insert into bytea_probe (content) values (${value})`);
            throw new Error('this message goes to quarantine');
          }),
        )
        .catch(() => {});
      await withLargeBytea(tx, [large], ([value]) => tx.execute(sql`insert into bytea_probe (content) values (${value})`));
      const [{ n }] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from leopard_bytea_slices`);
      expect(n).toBe(0);
    });
    expect((await stored()).map((b) => b.equals(large))).toEqual([true]);
  });
});
