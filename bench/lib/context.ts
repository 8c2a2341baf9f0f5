// What every scenario and drill gets: the scale, the shared servers (database server, Dovecot, a
// local Resend for auto-replies) and a log line printer.
import { randomBytes } from 'node:crypto';
import type { DovecotHarness } from '../../test/harness/dovecot';
import type { FakeResendServer } from '../../test/harness/resend-server';
import type { BenchPostgres } from './postgres';
import type { ResultRow } from './report';

export type Scale = 'full' | 'small';

export type BenchContext = {
  scale: Scale;
  /** The size at full scale, a smaller one for BENCH_SCALE=small. */
  size<T>(full: T, small: T): T;
  postgres: BenchPostgres;
  dovecot: DovecotHarness;
  resend: FakeResendServer;
  /** Unique per run, so tokens (subjects, Message-IDs) never repeat across runs. */
  runId: string;
  log(message: string): void;
};

export type ScenarioResult = { rows: ResultRow[]; notes: string[] };

export type Scenario = {
  key: string;
  name: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
};

export function scaleFromEnv(variable: string): Scale {
  const value = (process.env[variable] ?? 'full').toLowerCase();
  if (value !== 'full' && value !== 'small') throw new Error(`${variable} must be "full" or "small", not "${value}"`);
  return value;
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Selected keys from a comma-separated env variable (all when unset). */
export function selected<T extends { key: string }>(all: T[], variable: string): T[] {
  const wanted = process.env[variable]?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!wanted?.length) return all;
  const unknown = wanted.filter((w) => !all.some((s) => s.key === w));
  if (unknown.length) throw new Error(`${variable}: unknown ${unknown.join(', ')}; choose from ${all.map((s) => s.key).join(', ')}`);
  return all.filter((s) => wanted.includes(s.key));
}
