// Small real datasets for end-to-end tests, copied from the embedded demo photographs (Caltech 101, CC BY 4.0), and a
// workbench service that never computes, for the tests of requests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from '../core/compute/protocol';
import { RunLog } from '../core/runlog/run-log';
import { PathPolicy } from '../core/service/paths';
import { createService, type Service } from '../core/service/service';
import { forkCompute } from '../core/workbench/node-compute';
import { openWorkspace, type Workspace } from '../core/workspace';
import { runCli } from '../cli/main';

export const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'demo-dataset');

/** A folder with train/ and test/ of the first `train` and `test` photos of each of the first `classes` classes. */
export function smallDataset(classes: number, train: number, test: number): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-e2e-data-'));
  const names = fs.readdirSync(path.join(DEMO, 'train')).sort().slice(0, classes);
  for (const split of ['train', 'test'] as const) {
    for (const name of names) {
      const from = path.join(DEMO, split, name);
      const to = path.join(root, split, name);
      fs.mkdirSync(to, { recursive: true });
      for (const file of fs.readdirSync(from).sort().slice(0, split === 'train' ? train : test)) fs.copyFileSync(path.join(from, file), path.join(to, file));
    }
  }
  return root;
}

export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-e2e-home-'));
}

/**
 * A workbench service over `workspace` that computes in forked compute processes on WebAssembly (each endpoint it
 * opens is pushed to `endpoints`), allowing `roots`.
 */
export function serviceWithCompute(workspace: Workspace, roots: string[], endpoints: Endpoint[] = []): Service {
  return createService({
    workspace,
    log: RunLog.open(workspace.database),
    host: 'browser',
    version: 'test',
    electron: null,
    backend: 'wasm',
    compute: () => {
      const endpoint = forkCompute();
      endpoints.push(endpoint);
      return endpoint;
    },
    paths: new PathPolicy(roots),
    demoDataset: null,
  });
}

/**
 * A workbench service on a fresh workspace whose compute side, if anything ever asks for it, fails: for tests of
 * requests that must be answered (or refused) without computing. `roots` are the folders its path policy allows.
 */
export function serviceWithoutCompute(roots: string[], options: { home?: string; host?: 'browser' | 'electron'; version?: string; electron?: string | null } = {}): Service {
  const workspace = openWorkspace(options.home ?? tempHome());
  return createService({
    workspace,
    log: RunLog.open(workspace.database),
    host: options.host ?? 'browser',
    version: options.version ?? 'test',
    electron: options.electron ?? null,
    backend: 'cpu',
    compute: (): Endpoint => {
      throw new Error('this test must not reach a compute side');
    },
    paths: new PathPolicy(roots),
    demoDataset: null,
  });
}

/** `alexnet --home <home> ...argv` run in this process (the command tree and its output as a user gets them, without a process start), its output caught. */
export async function cliInProcess(home: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await runCli(['--home', home, ...argv]), stdout, stderr };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}
