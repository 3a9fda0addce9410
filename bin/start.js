#!/usr/bin/env node
// `npm start`: opens the desktop app where Electron's binary is installed; elsewhere it says so in one line and serves
// the same UI to a browser instead (`alexnet serve`), printing the URL. Either way the page is built first.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args, env = process.env) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', env });
  if (result.error) throw result.error;
  return result.status ?? 1;
};

const binary = electronBinary();
if (binary === null) {
  console.error('Electron is not installed here (its binary could not be downloaded), so the desktop app cannot open: serving the same UI to a browser instead.');
  const built = run('npx', ['vite', 'build', '--config', 'renderer.vite.config.ts', '--logLevel', 'warn']);
  if (built !== 0) process.exit(built);
  // The rest of the command line goes to `alexnet serve` (e.g. --allow /data/photos --port 9000 --host 0.0.0.0).
  process.exit(run(process.execPath, ['bin/alexnet.js', 'serve', '--open', ...process.argv.slice(2)]));
}
// Builds main, preloads and page into out/ and starts Electron on them; ELECTRON_EXEC_PATH tells electron-vite which binary.
process.exit(run('npx', ['electron-vite', 'preview', '--', ...process.argv.slice(2)], { ...process.env, ELECTRON_EXEC_PATH: binary }));
