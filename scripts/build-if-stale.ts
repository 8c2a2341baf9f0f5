// Builds the Next.js app when there is no build or the sources are newer than it.
// Used by `npm start` and by the e2e tier, so neither rebuilds needlessly.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../server/env';

const SOURCES = ['app', 'server', 'next.config.ts', 'package.json', 'package-lock.json', 'tsconfig.json'];
const IGNORED = /\.test\.ts$/;

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return IGNORED.test(entry) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

export function buildIsStale(): boolean {
  const buildId = path.join(projectRoot, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return SOURCES.some((s) => existsSync(path.join(projectRoot, s)) && newestMtime(path.join(projectRoot, s)) > built);
}

export function buildIfStale(env: NodeJS.ProcessEnv, log: (message: string) => void): void {
  if (!buildIsStale()) return;
  log('Building the web app (no build yet, or the sources changed) …');
  const build = spawnSync(process.execPath, [path.join(projectRoot, 'node_modules/next/dist/bin/next'), 'build'], {
    cwd: projectRoot,
    env: { ...env, NODE_ENV: 'production' },
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('next build failed; see the output above.');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  try {
    buildIfStale(process.env, (m) => process.stdout.write(`${m}\n`));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
