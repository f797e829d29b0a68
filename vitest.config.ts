import { defineConfig } from 'vitest/config';

// Tests spawn the CLI and open real DuckDB files: correctness only, never timing, so the limits are generous.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
