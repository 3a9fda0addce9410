// The UI's end-to-end tests (e2e/ui): the browser host in Debian's Chromium, and the desktop app where Electron's
// binary is installed. Screenshots of each view land in test-results/ (kept as artifacts).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e/ui',
  outputDir: 'test-results/playwright',
  // Training the quick preset on two CPU cores takes minutes; one journey at a time.
  timeout: 15 * 60_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
