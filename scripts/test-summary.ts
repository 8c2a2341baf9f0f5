// Reads the JSON reports the tiers wrote under test-results/ and prints one line per tier and a
// closing "N passed, N failed" line. A tier with no report or no tests is named as such, never
// counted as passed; it makes this script fail so that nothing is silently skipped. The one tier that
// may be skipped (corpus, without the corpora and without LEOPARD_REQUIRE_CORPORA=1) leaves
// test-results/<tier>.skipped with the reason, and is shown as skipped with it.
import { existsSync, readFileSync } from 'node:fs';

/** `flaky`: passed only when retried (e2e), counted in `passed` and named on the tier's line. */
type Counts = { passed: number; failed: number; skipped: number; flaky?: number };

const TIERS = ['unit', 'db', 'imap', 'servers', 'corpus', 'e2e'] as const;

function read(tier: string): Counts | null {
  const file = `test-results/${tier}.json`;
  if (!existsSync(file)) return null;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  if (tier === 'e2e') {
    const s = report.stats ?? {};
    return { passed: (s.expected ?? 0) + (s.flaky ?? 0), failed: s.unexpected ?? 0, skipped: s.skipped ?? 0, flaky: s.flaky ?? 0 };
  }
  return {
    passed: report.numPassedTests ?? 0,
    // A file that fails to load has no failed tests but is a failure all the same.
    failed: (report.numFailedTests ?? 0) || (report.numFailedTestSuites ?? 0),
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

/** Each failed test of a tier's report, as "file › test: first line of the error", so a failure is named in the summary. */
function failures(tier: string): string[] {
  const file = `test-results/${tier}.json`;
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const firstLine = (message: unknown) => String(message ?? '').replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n')[0]?.slice(0, 200) ?? '';
  const out: string[] = [];
  if (tier === 'e2e') {
    const walk = (suite: any) => {
      for (const spec of suite.specs ?? []) {
        if (spec.ok !== false) continue;
        const error = spec.tests?.flatMap((t: any) => t.results ?? []).find((r: any) => r.error)?.error?.message;
        out.push(`${spec.file ?? suite.file ?? ''} › ${spec.title}: ${firstLine(error)}`);
      }
      for (const child of suite.suites ?? []) walk(child);
    };
    for (const suite of report.suites ?? []) walk(suite);
    return out;
  }
  for (const fileResult of report.testResults ?? []) {
    const name = String(fileResult.name ?? '').replace(`${process.cwd()}/`, '');
    const failed = (fileResult.assertionResults ?? []).filter((a: any) => a.status === 'failed');
    for (const a of failed) out.push(`${name} › ${a.fullName ?? a.title}: ${firstLine(a.failureMessages?.[0])}`);
    if (failed.length === 0 && fileResult.status === 'failed') out.push(`${name}: ${firstLine(fileResult.message)}`);
  }
  return out;
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const skippedTiers: string[] = [];
let problem = false;
process.stdout.write('\nTest summary\n');
for (const tier of TIERS) {
  const skippedBecause = existsSync(`test-results/${tier}.skipped`) ? readFileSync(`test-results/${tier}.skipped`, 'utf8').trim() : null;
  if (skippedBecause !== null && !existsSync(`test-results/${tier}.json`)) {
    process.stdout.write(`  ${tier.padEnd(7)} skipped: ${skippedBecause}\n`);
    skippedTiers.push(tier);
    continue;
  }
  const counts = read(tier);
  if (!counts) {
    process.stdout.write(`  ${tier.padEnd(7)} did not run (no report)\n`);
    problem = true;
    continue;
  }
  const ran = counts.passed + counts.failed;
  if (ran === 0) {
    process.stdout.write(`  ${tier.padEnd(7)} no tests\n`);
    problem = true;
    continue;
  }
  const retried = existsSync(`test-results/${tier}.flaky`) ? readFileSync(`test-results/${tier}.flaky`, 'utf8').split('\n').filter(Boolean) : [];
  if (retried.length > 0) counts.flaky = retried.length;
  const flaky = counts.flaky ? ` (${counts.flaky} only on a retry${retried.length > 0 ? '' : ': see the report above'})` : '';
  process.stdout.write(`  ${tier.padEnd(7)} ${counts.passed} passed${flaky}, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  for (const failure of counts.failed > 0 ? failures(tier) : []) process.stdout.write(`      ✗ ${failure}\n`);
  for (const name of retried) process.stdout.write(`      ↻ ${name}\n`);
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
}
const tiersSkipped = skippedTiers.length > 0 ? `; tier${skippedTiers.length === 1 ? '' : 's'} not run: ${skippedTiers.join(', ')}` : '';
process.stdout.write(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped${tiersSkipped}\n`);
process.exit(problem || total.failed > 0 ? 1 : 0);
