// One postgres.js pool and its drizzle wrapper per process. The web server's Next.js bundles
// and server.ts are separate module graphs in one process, so the pool is kept on globalThis.
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { env } from '../env';
import * as schema from './schema';

export type Database = PostgresJsDatabase<typeof schema>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Either the pool or an open transaction: services take this so callers decide the boundary. */
export type DbOrTx = Database | Transaction;

type Pool = { sql: postgres.Sql; db: Database; url: string };

const globalKey = Symbol.for('leopard.db');
const holder = globalThis as unknown as { [globalKey]?: Pool };

export function createPool(url: string, options: { max?: number; applicationName?: string } = {}): Pool {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'leopard' },
  });
  return { sql, db: drizzle(sql, { schema }), url };
}

function pool(): Pool {
  const url = env().DATABASE_URL;
  if (!url) {
    throw new Error(
      'DATABASE_URL is not set. Start Leopard with `npm start` (embedded Postgres) or set DATABASE_URL.',
    );
  }
  const existing = holder[globalKey];
  if (existing && existing.url === url) return existing;
  const created = createPool(url);
  holder[globalKey] = created;
  return created;
}

export function db(): Database {
  return pool().db;
}

export function sql(): postgres.Sql {
  return pool().sql;
}

export async function closeDb(): Promise<void> {
  const existing = holder[globalKey];
  holder[globalKey] = undefined;
  await existing?.sql.end({ timeout: 5 });
}
