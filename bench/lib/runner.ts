// The loop shared by `npm run bench` and `npm run drill`: start the servers every scenario shares (the
// database server, a private Dovecot, a local Resend), run the selected scenarios one after another,
// print each one's table and notes, then the whole table, and write it to a Markdown file.
import path from 'node:path';
import { projectRoot } from '../../server/env';
import { startDovecot } from '../../test/harness/dovecot';
import { startResendServer } from '../../test/harness/resend-server';
import { type BenchContext, newRunId, type Scenario, scaleFromEnv, selected } from './context';
import { startBenchPostgres } from './postgres';
import { printTable, type ScenarioReport, writeResults } from './report';
import { ensureWebBuild } from './web-server';

/** Sessions: 1,000 worker + 1,000 baseline IDLE + 1,000 APPEND connections in the many-mailboxes scenario. */
const DOVECOT_LIMITS = { userIpConnections: 100, imapProcesses: 4_000 };
/**
 * Dovecot's own default. The harness's 1 s (for tests that put more than 128 IDLE sessions on one uid) made
 * each of 3,000 imap processes wake every second: load averages of 30–280 on 2 cores. Every bench user has
 * its own uid, so new mail is still announced through inotify (~0.5 s), not by this check.
 */
const IDLE_CHECK_INTERVAL_SECS = 30;

export function logLine(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stdout.write(`[${t}] ${message}\n`);
}

export type RunOptions = {
  title: string;
  command: string;
  scenarios: Scenario[];
  /** Env variable that selects scenarios by key. */
  onlyVariable: string;
  /** Scenario keys that need the web app built. */
  needsWeb: string[];
  resultsFile: string;
  preface?: string[];
};

export async function runScenarios(options: RunOptions): Promise<never> {
  const scale = scaleFromEnv('BENCH_SCALE');
  const scenarios = selected(options.scenarios, options.onlyVariable);
  const startedAt = new Date();
  const started = performance.now();
  logLine(`${options.title}, scale ${scale}: ${scenarios.map((s) => s.name).join(', ')}`);
  if (scenarios.some((s) => options.needsWeb.includes(s.key))) ensureWebBuild(logLine);

  const postgres = await startBenchPostgres(logLine);
  const [dovecot, resend] = await Promise.all([startDovecot({ limits: DOVECOT_LIMITS, idleCheckIntervalSecs: IDLE_CHECK_INTERVAL_SECS }), startResendServer()]);
  const ctx: BenchContext = {
    scale,
    size: (full, small) => (scale === 'full' ? full : small),
    postgres,
    dovecot,
    resend,
    runId: newRunId(),
    log: logLine,
  };

  const reports: ScenarioReport[] = [];
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    logLine('interrupted: finishing the current scenario, then stopping (Ctrl-C again to abort)');
    process.once('SIGINT', () => process.exit(130));
  });
  try {
    for (const scenario of scenarios) {
      if (interrupted) break;
      logLine(`— ${scenario.name}`);
      const t0 = performance.now();
      try {
        const result = await scenario.run(ctx);
        reports.push({ name: scenario.name, ...result, seconds: (performance.now() - t0) / 1000 });
        process.stdout.write(`${printTable(result.rows)}\n${result.notes.map((n) => `  · ${n}`).join('\n')}\n`);
      } catch (err) {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        logLine(`${scenario.name} failed: ${message}`);
        reports.push({
          name: scenario.name,
          rows: [{ scenario: scenario.name, measure: 'run', baseline: '', figure: 'failed', ratio: '', goal: 'completes', met: false }],
          notes: [],
          error: message.split('\n')[0]!,
          seconds: (performance.now() - t0) / 1000,
        });
      }
    }
  } finally {
    await Promise.all([dovecot.stop(), resend.close()]);
    await postgres.stop();
  }

  const rows = reports.flatMap((r) => r.rows);
  process.stdout.write(`\n${printTable(rows)}\n`);
  const file = path.resolve(projectRoot, options.resultsFile);
  const envPrefix = [
    scale === 'small' ? 'BENCH_SCALE=small' : '',
    process.env[options.onlyVariable] ? `${options.onlyVariable}=${process.env[options.onlyVariable]}` : '',
  ].filter(Boolean);
  writeResults(file, {
    title: `${options.title} results`,
    command: [...envPrefix, options.command].join(' '),
    scale,
    database: postgres.description,
    startedAt,
    seconds: (performance.now() - started) / 1000,
    reports,
    preface: options.preface,
  });
  logLine(`wrote ${path.relative(process.cwd(), file)}`);
  process.exit(reports.some((r) => r.error) ? 1 : 0);
}
