// The unit tests that mutation testing runs (stryker.config.mjs): the tests beside the code in core/. The end-to-end
// tests start CLI processes, which a mutant's coverage cannot follow, and take minutes each.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    env: { ALEXNET_THREADS: '1' },
  },
});
