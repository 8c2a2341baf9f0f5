// A fresh, migrated database per test file, dropped afterwards.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createPool, type Database } from '../../server/db/client';
import { migrateDatabase } from '../../server/db/migrate';

export type TestDatabase = { url: string; db: Database; sql: postgres.Sql; drop: () => Promise<void> };

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseAdminUrl');
  const name = `leopard_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const pool = createPool(url.toString(), { max: 5, applicationName: 'leopard-test' });
  return {
    url: url.toString(),
    db: pool.db,
    sql: pool.sql,
    async drop() {
      await pool.sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/**
 * Points the app's configuration (server/env.ts, the db() pool) at a test database, with fixed
 * secrets so nothing is generated into the project's data folder.
 */
export function useDatabaseForApp(url: string): void {
  process.env.DATABASE_URL = url;
  process.env.AUTH_SECRET ??= 'test-auth-secret-0123456789-abcdefghijklmnop';
  process.env.SECRET_KEY ??= Buffer.alloc(32, 7).toString('base64');
  process.env.LOG_LEVEL ??= 'silent';
}
