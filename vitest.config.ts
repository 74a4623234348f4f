import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // Expected failures (a killed listener, say) log warnings; keep the output to real errors.
    env: { LOG_LEVEL: 'error' },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests isolate themselves with unique lock keys, so files may share the database.
    fileParallelism: true,
  },
});
