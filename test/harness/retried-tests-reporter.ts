// A vitest reporter that writes every test that passed only on a retry to test-results/<tier>.flaky, one
// "file › test (retried N×)" per line, so that scripts/test-summary.ts names it on the tier's line: a
// retry on a shared, noisy machine is allowed for the tiers that talk to real servers, never hidden.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestCase } from 'vitest/node';

export default class RetriedTestsReporter implements Reporter {
  onTestCaseResult(testCase: TestCase) {
    const retries = testCase.diagnostic()?.retryCount ?? 0;
    if (retries === 0 || testCase.result().state !== 'passed') return;
    mkdirSync('test-results', { recursive: true });
    const file = path.relative(process.cwd(), testCase.module.moduleId);
    appendFileSync(`test-results/${testCase.project.name}.flaky`, `${file} › ${testCase.fullName} (retried ${retries}×)\n`);
  }
}
