#!/usr/bin/env node
// `npm start`: opens the desktop app where Electron's binary is installed, and otherwise says so in one line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The Electron binary's path, or null where it is missing (npm installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1).
 * Looks it up the way the electron package's index.js does, without calling require('electron'): since Electron 45
 * that starts a download of the missing binary, which fails offline after printing several lines.
 */
function electronBinary() {
  if (process.env.ELECTRON_EXEC_PATH) return fs.existsSync(process.env.ELECTRON_EXEC_PATH) ? process.env.ELECTRON_EXEC_PATH : null;
  let directory;
  try {
    directory = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = path.join(directory, 'path.txt');
  const executable = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8') : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override ? path.join(override, executable || 'electron') : executable ? path.join(directory, 'dist', executable) : null;
  return binary !== null && fs.existsSync(binary) ? binary : null;
}

const binary = electronBinary();
if (binary === null) {
  console.error('Electron is not installed here (its binary could not be downloaded); the desktop app cannot open. The browser UI comes with `alexnet serve` in a later version.');
  process.exit(1);
}
// Builds main, preload and renderer into out/ and starts Electron on them; ELECTRON_EXEC_PATH is how electron-vite
// is told which binary, e.g. one found through ELECTRON_OVERRIDE_DIST_PATH.
const preview = spawnSync('npx', ['electron-vite', 'preview'], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: { ...process.env, ELECTRON_EXEC_PATH: binary },
});
if (preview.error) throw preview.error;
process.exit(preview.status ?? 1);
