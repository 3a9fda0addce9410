// Exports a run's newest model, found through the run log (for the CLI; the service has the compute side do it).
import path from 'node:path';
import type { ExportedFiles } from '../export/export';
import type { RunLog } from '../runlog/run-log';
import { runDirectory, type Workspace } from '../workspace';
import { exportCheckpoint } from '../compute/export-checkpoint';
import { runModelFiles } from './run-files';

/** Where a run's export goes by default: its folder's `export/`. */
export function exportFolder(workspace: Workspace, runId: string): string {
  return path.join(runDirectory(workspace, runId), 'export');
}

/** Writes the export of a run's newest model into `out` (default: exportFolder). */
export function exportRun(workspace: Workspace, log: RunLog, runId: string, out: string = exportFolder(workspace, runId)): ExportedFiles & { folder: string } {
  const { run, checkpoint, datasetDir } = runModelFiles(log, runId);
  return exportCheckpoint(checkpoint, datasetDir, out, { id: run.id, name: run.name });
}
