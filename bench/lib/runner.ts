// The loop shared by `npm run bench` and `npm run drill`: start the servers every scenario shares (the
// database server, a private Dovecot, a local Resend), run the selected scenarios one after another,
// print each one's table and notes, then the whole table, and write it to a Markdown file.
import path from 'node:path';
import { projectRoot } from '../../server/env';
import { startDovecot } from '../../test/harness/dovecot';
import { startResendServer } from '../../test/harness/resend-server';
import { type BenchContext, newRunId, runLabel, runsOf, type Scenario, scaleFromEnv, selected } from './context';
import { startBenchPostgres } from './postgres';
import { printTable, type ScenarioReport, writeResults } from './report';
import { ensureWebBuild } from './web-server';

/**
 * Sessions at once: 3,000 in the 1,000-mailbox scenario (worker, baseline IDLE and APPEND connections);
 * 10,000 in the 5,000-mailbox one (the worker's 5,000 beside 5,000 baseline clients, then beside 5,000
 * probe IDLE clients). Dovecot runs one imap process per session.
 */
const DOVECOT_LIMITS = { userIpConnections: 100, imapProcesses: 11_000 };
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
      const runs = runsOf(scenario);
      for (let n = 1; n <= runs; n++) {
        if (interrupted) break;
        const name = `${scenario.name}${runLabel(n, runs)}`;
        logLine(`— ${name}`);
        const t0 = performance.now();
        try {
          // Each run on its own mailboxes and tokens: nothing of the previous run is read again.
          const result = await scenario.run({ ...ctx, runId: n === 1 ? ctx.runId : newRunId() });
          const rows = result.rows.map((r) => ({ ...r, scenario: `${r.scenario}${runLabel(n, runs)}` }));
          reports.push({ name, ...result, rows, seconds: (performance.now() - t0) / 1000 });
          process.stdout.write(`${printTable(rows)}\n${result.notes.map((note) => `  · ${note}`).join('\n')}\n`);
        } catch (err) {
          const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
          logLine(`${name} failed: ${message}`);
          reports.push({
            name,
            rows: [{ scenario: name, measure: 'run', baseline: '', figure: 'failed', ratio: '', goal: 'completes', met: false }],
            notes: [],
            error: message.split('\n')[0]!,
            seconds: (performance.now() - t0) / 1000,
          });
        }
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
    process.env.BENCH_REPEAT ? `BENCH_REPEAT=${process.env.BENCH_REPEAT}` : '',
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
