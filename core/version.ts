// The code version recorded with every run: the package version and, in a git checkout, the commit.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The name in package.json: another project's manifest up the tree is not ours. */
const PACKAGE_NAME = 'alexnet-workbench';

export function codeVersion(): string {
  if (cached) return cached;
  // The project's package.json: one folder up from this file in the sources, two from the CLI's bundle in out/node.
  const root = projectRoot(path.dirname(fileURLToPath(import.meta.url)));
  if (root === undefined) {
    // An installed app keeps no package.json beside its code.
    cached = 'unknown';
    return cached;
  }
  let version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    if (commit) version += `+${commit}`;
  } catch {
    // Not a git checkout (an unpacked archive): the package version alone.
  }
  cached = version;
  return version;
}

/** The nearest folder at or above `from` (four at most) whose package.json is this project's. */
function projectRoot(from: string): string | undefined {
  let folder = from;
  for (let up = 0; up < 4; up++, folder = path.dirname(folder)) {
    try {
      if ((JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as { name?: string }).name === PACKAGE_NAME) return folder;
    } catch {
      // No package.json here, or not JSON: one folder up.
    }
  }
  return undefined;
}
