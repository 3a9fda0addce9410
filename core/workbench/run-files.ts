// A run's model files as the run log knows them, and the model of a run loaded in this process (for the CLI).
import fs from 'node:fs';
import { decodeForModel } from '../dataset/decode';
import type { RunLog, RunRow } from '../runlog/run-log';
import { datasetPixels, type Query } from '../compute/lookup';
import { loadModel, type LoadedModel } from '../compute/run-model';
import { newestUsableCheckpoint } from './training';

export interface LoadedRun extends LoadedModel {
  run: RunRow;
}

/** Where a run's newest model lives: its newest readable checkpoint and its dataset's folder. */
export function runModelFiles(log: RunLog, runId: string): { run: RunRow; checkpoint: string; datasetDir: string } {
  const run = log.getRun(runId);
  if (!run) throw new Error(`Run '${runId}' is not in the run log (see 'alexnet runs').`);
  const checkpoint = newestUsableCheckpoint(log, runId);
  if (!checkpoint) throw new Error(`Run '${runId}' has no checkpoint yet: it must finish at least one epoch.`);
  const datasetRow = log.getDataset(run.datasetId);
  if (!datasetRow) throw new Error(`The dataset '${run.datasetId}' of run '${runId}' is not in the run log.`);
  return { run, checkpoint, datasetDir: datasetRow.dir };
}

export function loadRun(log: RunLog, runId: string): LoadedRun {
  const { run, checkpoint, datasetDir } = runModelFiles(log, runId);
  return { run, ...loadModel(checkpoint, datasetDir) };
}

/** The query image as the cache holds it: 256x256x3 uint8 (a file is decoded and preprocessed exactly as at import). */
export async function queryPixels(loaded: LoadedModel, query: Query): Promise<Uint8Array> {
  if ('file' in query) {
    if (!fs.existsSync(query.file)) throw new Error(`Image '${query.file}' does not exist.`);
    return (await decodeForModel(query.file)).pixels;
  }
  return datasetPixels(loaded, query.split, query.index);
}
