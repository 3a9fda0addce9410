#!/usr/bin/env node
// `npm start`: opens the desktop app where Electron's binary is installed; otherwise says so in one line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let binary;
try {
  binary = require('electron');
} catch {
  binary = undefined;
}
if (typeof binary !== 'string' || !fs.existsSync(binary)) {
  console.log("Electron's binary is not installed here, so the desktop app cannot open; use the CLI: `npm run demo` (the browser UI comes in a later version).");
  process.exit(1);
}
const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
process.exit(spawnSync(binary, ['.'], { stdio: 'inherit' }).status ?? 0);
