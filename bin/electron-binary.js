// Where Electron's binary is, or null where it is missing (npm installed it with ELECTRON_SKIP_BINARY_DOWNLOAD=1).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Looks the binary up the way the electron package's index.js does, without calling require('electron'): since
 * Electron 45 that starts a download of the missing binary, which fails offline after printing several lines.
 * ELECTRON_EXEC_PATH names a binary directly; ELECTRON_OVERRIDE_DIST_PATH a folder holding one.
 * @returns {string | null}
 */
export function electronBinary() {
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
