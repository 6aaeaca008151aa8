/**
 * The moto tier (`npm run test:moto`, through scripts/test-moto.mjs): a second, third-party AWS.
 * moto's server (Apache-2.0) answers DynamoDB, KMS, SQS and EventBridge on one loopback port.
 *
 * - The integration suite, unchanged, on moto's DynamoDB (SECRETS_STORE_TEST_DYNAMODB=moto).
 * - test/moto: what dynalite cannot show: KmsKeyring on moto's KMS, the failed-condition ALL_OLD
 *   path, and the uninstall pipeline end to end (EventBridge rule, SQS queue, handler, sweep).
 */
import { defineConfig } from 'vitest/config';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    setupFiles: ['test/support/setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'moto',
          include: ['test/integration/**/*.test.ts', 'test/moto/**/*.test.ts'],
          exclude: [
            // moto's conditional writes are not atomic under concurrency (several writers win one
            // condition), so it is no reference for these; dynalite's tier runs them.
            'test/integration/concurrency.test.ts',
            // The same: its processes race to take one free lease, and on moto all of them win
            // (10 upstream calls seen). test/integration/refresh.test.ts, whose schedules are
            // forced one write at a time, runs here.
            'test/integration/refreshProcesses.test.ts',
            // It compares dynalite with the MemoryTable; moto is no part of that comparison.
            'test/integration/memoryTableDifferential.test.ts',
          ],
          env: { SECRETS_STORE_TEST_DYNAMODB: 'moto' },
          globalSetup: ['test/moto/support/globalSetup.ts'],
          // One file at a time: moto's server is threaded, and concurrent TransactWriteItems
          // corrupt its state ("dictionary changed size during iteration", HTTP 500).
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
