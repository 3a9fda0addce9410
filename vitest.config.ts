// Unit tests sit next to the code (core/**/x.test.ts); end-to-end tests live in e2e/.
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The paper's whole model on a 128 MiB software adapter and the engine in a browser page's software WebGPU: minutes of
 * shader compilation and software arithmetic, so `npm run test:webgpu` runs them on their own (CI runs both suites).
 */
const WEBGPU_SUITE = ['e2e/paper-webgpu.test.ts', 'e2e/browser-engine.test.ts', 'e2e/gpu-bench-bundle.test.ts'];

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'renderer/**/*.test.ts', 'cli/**/*.test.ts', 'server/**/*.test.ts', 'electron/**/*.test.ts', 'e2e/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.ALEXNET_TESTS === 'webgpu' ? [] : WEBGPU_SUITE)],
    pool: 'forks',
    // Training steps on the CPU backend and on software WebGPU are slow: allow minutes, not seconds.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: true,
    maxWorkers: 3,
    // Three test files at once on two cores: the CPU engine takes one thread each (and so do the CLI processes they
    // start, which inherit it), and many end-to-end tests spend part of their time waiting on a child process
    // (torchrun, Chromium, the CLI); a third file fills those waits (measured: 278 s against 320 s with two).
    // Tests of the thread pool ask for their thread count themselves.
    env: { ALEXNET_THREADS: '1' },
    // The fault suite's tally (e2e/faults) is cleared before and printed after every run.
    globalSetup: ['e2e/faults/summary.ts'],
  },
});
