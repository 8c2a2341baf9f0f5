import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Test tiers. unit: pure functions, no services. db: real Postgres (DATABASE_URL or embedded),
// each file in its own database. imap: a private Dovecot started by test/harness. servers: the worker's
// mailbox contract against Dovecot, Cyrus IMAP and Courier IMAP (scripts/install-mail-servers.sh).
// corpus: the real-world mails under ../shared/corpora. e2e runs under Playwright, not here.
const root = fileURLToPath(new URL('.', import.meta.url));
const alias = { '@': root };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['server/**/*.test.ts', 'worker/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.db.test.ts', '**/*.imap.test.ts', '**/*.servers.test.ts', '**/*.corpus.test.ts', 'node_modules/**'],
          environment: 'node',
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'db',
          include: ['**/*.db.test.ts'],
          exclude: ['node_modules/**'],
          globalSetup: ['test/harness/db-global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'imap',
          include: ['**/*.imap.test.ts'],
          // One retry for tests against live servers on a shared machine; a test that passes only on its
          // retry is named in the summary (test/harness/retried-tests-reporter.ts), never counted silently.
          retry: 1,
          exclude: ['node_modules/**'],
          globalSetup: ['test/harness/db-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          // Dovecot, Cyrus IMAP and Courier IMAP (test/harness/mail-server.ts), one file at a time.
          name: 'servers',
          include: ['**/*.servers.test.ts'],
          retry: 1,
          exclude: ['node_modules/**'],
          globalSetup: ['test/harness/db-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'corpus',
          include: ['**/*.corpus.test.ts'],
          exclude: ['node_modules/**'],
          globalSetup: ['test/harness/db-global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
