// The same journey in the desktop app through Playwright's Electron driver, where Electron's binary is installed
// (better-sqlite3 and sharp rebuilt for Electron's ABI: `npx electron-rebuild`). Elsewhere it reports itself skipped.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, test } from '@playwright/test';
import { electronBinary } from '../../bin/electron-binary.js';
import { journeyFolders } from './folders';
import { userJourney } from './journey';

const root = path.resolve(import.meta.dirname, '..', '..');
const binary = electronBinary();

const skipped = "Electron's binary is not installed here (npm installed the package with ELECTRON_SKIP_BINARY_DOWNLOAD=1); this spec runs where it is.";
if (binary === null) process.stderr.write(`desktop-app.spec.ts is skipped: ${skipped}\n`);
test.skip(binary === null, skipped);

test('the whole journey in the desktop app', async () => {
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
  const folders = journeyFolders();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-desktop-home-'));
  const app = await electron.launch({
    executablePath: binary!,
    args: [path.join(root, 'out/main/index.js'), '--home', home, '--allow', folders.root, '--backend', 'wasm'],
    cwd: root,
  });
  try {
    // The hidden compute window is a window too: take the app's page.
    const page = await app.waitForEvent('window', { predicate: (window) => window.url().includes('/renderer/') });
    await userJourney(page, folders, path.join(root, 'test-results', 'ui', 'desktop'));
  } finally {
    await app.close();
  }
});
