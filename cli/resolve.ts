// Turns CLI arguments naming datasets, runs and images into the things they name, with clear errors.
import fs from 'node:fs';
import path from 'node:path';
import { openDataset, type Dataset } from '../core/dataset/dataset';
import { importDataset } from '../core/dataset/import';
import { recordDataset } from '../core/workbench/record-dataset';
import type { DatasetRow, RunRow } from '../core/runlog/run-log';
import type { Context } from './context';
import { notFound } from './errors';
import { progressLine } from './progress';


/** Imports a folder with a progress line; the dataset is recorded in the run log. */
export async function importWithProgress(
  context: Context,
  folder: string,
  options: { testFraction?: number; seed?: number; name?: string; exclude?: string[] } = {},
): Promise<Dataset> {
  const progress = progressLine('import', context.json, 'files');
  const dataset = await importDataset(path.resolve(folder), context.workspace.datasets, {
    ...options,
    onProgress: (p) => {
      if (p.phase === 'decoding') progress.update(p.done, p.total, p.current ?? '');
    },
  });
  const r = dataset.manifest.report;
  progress.done(`${r.imported} images (${r.decoded} decoded, ${r.reused} unchanged), ${r.skipped.length} skipped, in ${r.seconds.toFixed(1)} s`);
  recordDataset(context.log, dataset);
  return dataset;
}

/** A dataset by id, or by folder (imported first if it is not yet). */
export async function resolveDataset(context: Context, reference: string): Promise<Dataset> {
  const row = context.log.getDataset(reference);
  if (row) return openDataset(row.dir);
  if (fs.existsSync(reference) && fs.statSync(reference).isDirectory()) {
    const source = path.resolve(reference);
    const known = context.log.listDatasets().find((d: DatasetRow) => d.source === source);
    if (known && fs.existsSync(known.dir)) return openDataset(known.dir);
    return importWithProgress(context, source);
  }
  throw notFound(`Dataset '${reference}' is neither an imported dataset id (see 'alexnet datasets') nor a folder.`);
}

/** A run by id, or 'last' for the newest run. */
export function resolveRun(context: Context, reference: string): RunRow {
  if (reference === 'last') {
    const runs = context.log.listRuns();
    const newest = runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    if (!newest) throw notFound(`There are no runs yet; start one with 'alexnet train'.`);
    return newest;
  }
  const run = context.log.getRun(reference);
  if (!run) throw notFound(`Run '${reference}' is not in the run log at '${context.workspace.database}' (see 'alexnet runs').`);
  return run;
}
