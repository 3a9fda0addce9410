// Starts one of the engine's Node entry points (the CLI, the compute child process) quickly: its TypeScript modules
// bundled by esbuild into one file under out/node/ (packages stay Node's own imports), rebuilt whenever one of those
// modules is newer than the bundle. Loading each module through tsx's loader thread costs about a second a start;
// where esbuild cannot run, the entry is loaded through tsx as before.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The bundles sit two folders below the root, as the modules that find files from their own place do (cli/commands,
// core/workbench, core/compute), so that their '../..' is the root in either form.
const OUT = path.join(ROOT, 'out', 'node');

/** Whether the bundle is missing, or older than one of the modules it was built from. */
function stale(bundle, inputsFile) {
  try {
    const built = fs.statSync(bundle).mtimeMs;
    const inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
    return inputs.some((input) => {
      try {
        return fs.statSync(path.join(ROOT, input)).mtimeMs > built;
      } catch {
        return true; // a module that is gone: build again (and fail there, with the compiler's message)
      }
    });
  } catch {
    return true;
  }
}

/**
 * Builds `entry` into `bundle`, atomically (processes starting together may build at once). The bundle names each
 * module's source file in a comment above its code; it has no source map, which would cost a third of a second a start.
 */
async function build(entry, bundle, inputsFile) {
  const esbuild = await import('esbuild');
  fs.mkdirSync(OUT, { recursive: true });
  const temp = `${bundle}.${process.pid}.tmp.mjs`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: temp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  // Our modules, and this file (its build options).
  const inputs = [...Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/')), 'bin/launch.js'];
  fs.writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(inputs));
  fs.renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
  fs.renameSync(temp, bundle);
}

/**
 * Imports the TypeScript module `entry` (a path from the repository's root) from its bundle `name`, building the
 * bundle first when it is stale.
 */
export async function launch(entry, name) {
  const bundle = path.join(OUT, `${name}.mjs`);
  const inputsFile = path.join(OUT, `${name}.inputs.json`);
  let url;
  try {
    if (stale(bundle, inputsFile)) await build(entry, bundle, inputsFile);
    url = pathToFileURL(bundle).href;
  } catch {
    // No esbuild here, or a folder we may not write: run the sources through tsx's loader.
    const { register } = await import('tsx/esm/api');
    register();
    url = pathToFileURL(path.join(ROOT, entry)).href;
  }
  return import(url);
}
