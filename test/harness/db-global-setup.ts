// Vitest global setup for the tiers that need Postgres: DATABASE_URL when set, otherwise an
// embedded Postgres in a temporary folder. Each test file then gets its own database
// (test/harness/test-database.ts), so files never see each other's rows.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../server/db/embedded';
import { freePort } from './free-port';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('databaseAdminUrl', process.env.DATABASE_URL);
    return;
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'leopard-test-pg-'));
  const embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), log: () => {} });
  project.provide('databaseAdminUrl', embedded.url);
  return async () => {
    await embedded.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
