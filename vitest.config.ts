import { defineConfig } from 'vitest/config';

// Tests import each part's TypeScript source through the "source" export condition,
// so a test run never depends on a stale build.
const resolve = { conditions: ['source', 'node', 'import', 'default'] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: resolve.conditions, externalConditions: ['source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['{*,*/*}/test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['{*,*/*}/test/integration/**/*.test.ts'], pool: 'forks' },
      },
    ],
  },
});
