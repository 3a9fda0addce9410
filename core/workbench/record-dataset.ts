// Records an imported dataset in the run log from its manifest (after every import, by every host).
import type { Dataset } from '../dataset/dataset';
import type { DatasetRow, RunLog } from '../runlog/run-log';

export function recordDataset(log: RunLog, dataset: Dataset): DatasetRow {
  const m = dataset.manifest;
  return log.upsertDataset({ id: m.id, name: m.name, source: m.source, dir: dataset.dir, labels: m.labels, counts: m.report.counts, report: m.report });
}
