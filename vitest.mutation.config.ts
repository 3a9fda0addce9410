// The unit tests that mutation testing runs (stryker.config.mjs): the tests beside the code in core/. The end-to-end
// tests start CLI processes, which a mutant's coverage cannot follow, and take minutes each. ALEXNET_MUTATION_TESTS
// narrows them to one area's own tests (e.g. 'core/train/**/*.test.ts'): the service's tests train in this process
// too, so without it each of the trainer's mutants reruns minutes of service tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [process.env.ALEXNET_MUTATION_TESTS ?? 'core/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    env: { ALEXNET_THREADS: '1' },
  },
});
