// Renaming and deleting an imported dataset, in its folder and in the run log together (the app's service and the CLI).
import fs from 'node:fs';
import { renameDataset } from '../dataset/dataset';
import type { DatasetRow, RunLog } from '../runlog/run-log';

/** Why a dataset cannot be deleted now, in words, or undefined when it can: a run that uses it needs it. */
export function deletionRefusal(log: RunLog, row: DatasetRow): string | undefined {
  const runs = log.listRuns({ datasetId: row.id });
  if (runs.length === 0) return undefined;
  const names = runs.slice(0, 3).map((r) => `'${r.name}'`).join(', ');
  const which = runs.length === 1 ? `run ${names}` : `${runs.length} runs (${names}${runs.length > 3 ? ', ...' : ''})`;
  return `Dataset '${row.name}' is used by ${which}; delete ${runs.length === 1 ? 'that run' : 'them'} first (a run needs its dataset to be evaluated and looked up).`;
}

/** Deletes the imported copy and its row; the source folder is never touched. Call deletionRefusal first. */
export function deleteDataset(log: RunLog, row: DatasetRow): void {
  // The row goes first: a crash in between leaves a folder that no list shows (importing the folder again replaces
  // it), never a dataset in the list without its images.
  log.deleteDataset(row.id);
  fs.rmSync(row.dir, { recursive: true, force: true });
}

/** Gives a dataset a new name in its manifest and in the run log. */
export function renameDatasetRecord(log: RunLog, row: DatasetRow, name: string): DatasetRow {
  renameDataset(row.dir, name);
  return log.upsertDataset({ ...row, name });
}
