// Where the workbench keeps its files: the run log, imported datasets and each run's checkpoints and features.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Workspace {
  /** The folder holding everything; --home or ALEXNET_HOME, else ~/.alexnet-workbench. */
  home: string;
  /** The SQLite run log. */
  database: string;
  /** One folder per imported dataset (manifest.json, images.u8, mean.f32). */
  datasets: string;
  /** One folder per run (checkpoints/, features.bin, kernels/). */
  runs: string;
  /** One folder per reproduction report (report.md, report.html, result.json). */
  reports: string;
}

export function defaultHome(): string {
  return process.env.ALEXNET_HOME && process.env.ALEXNET_HOME.length > 0
    ? path.resolve(process.env.ALEXNET_HOME)
    : path.join(os.homedir(), '.alexnet-workbench');
}

/** Opens (creating if needed) the workspace folder. */
export function openWorkspace(home: string = defaultHome()): Workspace {
  const root = path.resolve(home);
  if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) {
    throw new Error(`Workspace '${root}' is a file; expected a folder (choose another --home).`);
  }
  const workspace: Workspace = {
    home: root,
    database: path.join(root, 'runlog.sqlite'),
    datasets: path.join(root, 'datasets'),
    runs: path.join(root, 'runs'),
    reports: path.join(root, 'reports'),
  };
  fs.mkdirSync(workspace.datasets, { recursive: true });
  fs.mkdirSync(workspace.runs, { recursive: true });
  return workspace;
}

export function runDirectory(workspace: Workspace, runId: string): string {
  return path.join(workspace.runs, runId);
}
