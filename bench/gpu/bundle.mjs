// Bundles bench/gpu/engine-bench.ts into one ES module, <folder>/engine.mjs, with every package inside it except
// Dawn's native `webgpu`, copied beside it as node_modules/webgpu with only its linux-x64 addon.
//
//   node bench/gpu/bundle.mjs <folder>
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const folder = process.argv[2];
if (!folder) throw new Error('Usage: node bench/gpu/bundle.mjs <folder>');
fs.mkdirSync(folder, { recursive: true });
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: ['bench/gpu/engine-bench.ts'],
  outfile: path.join(folder, 'engine.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  // Packages written as CommonJS call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'error',
});
const dawn = path.join(ROOT, 'node_modules', 'webgpu');
const target = path.join(folder, 'node_modules', 'webgpu');
fs.mkdirSync(path.join(target, 'dist'), { recursive: true });
for (const file of ['package.json', 'index.js']) fs.copyFileSync(path.join(dawn, file), path.join(target, file));
fs.cpSync(path.join(dawn, 'dist', 'linux-x64'), path.join(target, 'dist', 'linux-x64'), { recursive: true });
