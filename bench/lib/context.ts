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
  /**
   * Times the bench runs it, one after another in the same bench, each run reported with its own rows
   * (BENCH_REPEAT overrides it for every scenario). Default 1.
   */
  runs?: number;
  run(ctx: BenchContext): Promise<ScenarioResult>;
};

/** How many runs of `scenario` this bench makes: BENCH_REPEAT when set, else the scenario's own. */
export function runsOf(scenario: Scenario, variable = 'BENCH_REPEAT'): number {
  const forced = process.env[variable];
  if (forced !== undefined && forced !== '') {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${variable} must be a whole number ≥ 1, not "${forced}"`);
    return n;
  }
  return scenario.runs ?? 1;
}

/** The label of run `n` of `runs` (nothing when there is only one). */
export function runLabel(n: number, runs: number): string {
  return runs > 1 ? `, run ${n} of ${runs}` : '';
}

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
