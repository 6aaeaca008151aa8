import { defineConfig } from 'vitest/config';

// Lambda runs Node 22; the SDK's notice about Node 20 says nothing about this project.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    setupFiles: ['test/support/setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/globalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The integration suite again, against the MemoryTable of @secrets-store/core/testing:
        // a third DynamoDB implementation, so that its differences from DynamoDB show up here.
        extends: true,
        test: {
          name: 'integration-memory',
          include: ['test/integration/**/*.test.ts'],
          // It compares dynalite with the MemoryTable: nothing to compare here.
          exclude: ['test/integration/memoryTableDifferential.test.ts'],
          env: { SECRETS_STORE_TEST_DYNAMODB: 'memory' },
          globalSetup: ['test/support/globalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: { name: 'security', include: ['test/security/**/*.test.ts'], testTimeout: 120_000 },
      },
      {
        // The built CLI (npm test builds it first) as a child process on --local folders.
        extends: true,
        test: { name: 'cli', include: ['test/cli/**/*.test.ts'], testTimeout: 120_000 },
      },
    ],
  },
});
