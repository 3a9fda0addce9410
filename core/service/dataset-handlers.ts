// The dataset channels: list, detail with the import report, import jobs with progress, pages of images, thumbnails.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  ApiError,
  REPORT_LIST_LIMIT,
  serializeError,
  type DatasetDetail,
  type DatasetSummary,
  type DuplicateGroupInfo,
  type ImageItem,
  type ImageRef,
  type ImportReportInfo,
  type SkippedFileInfo,
} from '../api/contract';
import type { Dataset } from '../dataset/dataset';
import { DamagedRecordError } from '../dataset/damaged-record';
import { importDataset } from '../dataset/import';
import { currentReport, datasetWarnings, labelConflicts } from '../dataset/import-report';
import { systemFailure } from '../system-errors';
import { deleteDataset, deletionRefusal, renameDatasetRecord } from '../workbench/dataset-records';
import { recordDataset } from '../workbench/record-dataset';
import type { DuplicateGroup, ImportReport } from '../dataset/types';
import type { DatasetRow } from '../runlog/run-log';
import type { ServiceContext } from './context';
import type { Handlers } from './dispatch';
import { DAMAGED_THUMBNAIL, jpegDataUrl, previewDataUrl, THUMBNAIL_SIZE } from '../inspect/image-urls';

type DatasetHandlers = Pick<
  Handlers,
  'datasets:list' | 'datasets:get' | 'datasets:import' | 'datasets:rename' | 'datasets:delete' | 'datasets:image' | 'datasets:images' | 'datasets:thumbnails'
>;

/** Imports in progress, by folder: one import of a folder at a time. */
export interface ImportJobs {
  list(): { jobId: string; folder: string }[];
}

function summary(row: DatasetRow): DatasetSummary {
  const counts = row.counts as ImportReport['counts'];
  const train = counts.reduce((n, c) => n + c.train, 0);
  const test = counts.reduce((n, c) => n + c.test, 0);
  return { id: row.id, name: row.name, source: row.source, classes: row.labels.length, images: train + test, train, test, updatedAt: row.updatedAt };
}

/** Each image's address by path: its split and position in that split (the manifest's order). */
function imageRefs(dataset: Dataset): Map<string, ImageRef> {
  const refs = new Map<string, ImageRef>();
  const positions = { train: 0, test: 0 };
  for (const entry of dataset.manifest.images) refs.set(entry.path, { split: entry.split, index: positions[entry.split]++ });
  return refs;
}

function reportInfo(stored: ImportReport, refs: Map<string, ImageRef>): ImportReportInfo {
  const report = currentReport(stored);
  const first = <T>(list: T[]) => list.slice(0, REPORT_LIST_LIMIT);
  const groupInfo = (group: DuplicateGroup): DuplicateGroupInfo => ({ kind: group.kind, images: group.images.map((i) => ({ ...i, image: refs.get(i.path) ?? null })) });
  const conflicts = labelConflicts(report);
  return {
    source: report.source,
    split: report.split,
    imported: report.imported,
    decoded: report.decoded,
    reused: report.reused,
    skipped: first(report.skipped),
    conversions: first(report.conversions),
    emptyClasses: report.emptyClasses,
    duplicates: first(report.duplicates).map(groupInfo),
    labelConflicts: first(conflicts).map(groupInfo),
    leakage: first(report.leakage),
    smallImages: first(report.smallImages),
    excluded: first(report.excluded),
    warnings: datasetWarnings(report),
    seconds: report.seconds,
    totals: {
      skipped: report.skipped.length,
      conversions: report.conversions.length,
      duplicates: report.duplicates.length,
      labelConflicts: conflicts.length,
      leakage: report.leakage.length,
      smallImages: report.smallImages.length,
      excluded: report.excluded.length,
    },
  };
}

export function datasetHandlers(context: ServiceContext, onJobsChanged: () => void): { handlers: DatasetHandlers; imports: ImportJobs } {
  const { log, paths } = context;
  const running = new Map<string, string>(); // folder -> job id

  const runImport = async (jobId: string, folder: string, options: { testFraction?: number; seed?: number; name?: string; exclude?: string[] }) => {
    let datasetId: string | null = null;
    let error = null;
    let skipped: SkippedFileInfo[] = [];
    try {
      const dataset = await importDataset(folder, context.workspace.datasets, {
        ...options,
        onProgress: (p) =>
          context.emit({
            type: 'import:progress',
            jobId,
            folder,
            phase: p.phase,
            done: p.done,
            total: p.total,
            rate: p.rate,
            etaSeconds: p.etaSeconds ?? null,
            current: p.current ?? null,
          }),
      });
      const m = dataset.manifest;
      dataset.close();
      recordDataset(log, dataset);
      context.forgetDataset(m.id);
      datasetId = m.id;
      skipped = m.report.skipped;
    } catch (e) {
      const system = systemFailure(e);
      error = serializeError(system && !(e as Error).message.startsWith('The import of') ? new Error(`The import of '${folder}' stopped: ${system}.`) : e);
      // The scan's findings travel with a failed import, so that the user sees why nothing could be imported.
      skipped = ((e as { skipped?: SkippedFileInfo[] }).skipped ?? []).slice(0, 1000);
    } finally {
      running.delete(folder);
      onJobsChanged();
    }
    context.emit({ type: 'import:finished', jobId, folder, datasetId, error, skipped });
  };

  const handlers: DatasetHandlers = {
    'datasets:list': async () => log.listDatasets().map(summary),
    'datasets:get': async ({ datasetId }) => {
      const row = log.getDataset(datasetId);
      if (!row) throw new ApiError('E_NOT_FOUND', `There is no dataset '${datasetId}'.`);
      const report = row.report as ImportReport;
      const detail: DatasetDetail = { ...summary(row), labels: row.labels, counts: report.counts, report: reportInfo(report, imageRefs(context.dataset(datasetId))) };
      return detail;
    },
    'datasets:rename': async ({ datasetId, name }) => {
      const row = log.getDataset(datasetId);
      if (!row) throw new ApiError('E_NOT_FOUND', `There is no dataset '${datasetId}'.`);
      if (running.has(row.source)) throw new ApiError('E_BUSY', `Dataset '${row.name}' is being imported again; rename it when the import has finished.`);
      context.forgetDataset(datasetId);
      return summary(renameDatasetRecord(log, row, name));
    },
    'datasets:delete': async ({ datasetId }) => {
      const row = log.getDataset(datasetId);
      if (!row) throw new ApiError('E_NOT_FOUND', `There is no dataset '${datasetId}'.`);
      if (running.has(row.source)) throw new ApiError('E_BUSY', `Dataset '${row.name}' is being imported; delete it when the import has finished.`);
      const refusal = deletionRefusal(log, row);
      if (refusal) throw new ApiError('E_BUSY', refusal);
      context.forgetDataset(datasetId);
      deleteDataset(log, row);
      return { deleted: datasetId };
    },
    'datasets:image': async ({ datasetId, image }) => {
      const dataset = context.dataset(datasetId);
      const entry = dataset.entries(image.split)[image.index];
      if (!entry) throw new ApiError('E_BAD_REQUEST', `Image ${image.index} of the ${image.split} split does not exist; it has ${dataset.entries(image.split).length} images.`);
      // The source file as it was imported (same bytes), else the cache's copy: a moved or edited file is not shown as this image.
      const bytes = await fs.promises.readFile(path.join(dataset.manifest.source, ...entry.path.split('/'))).catch(() => undefined);
      const same = bytes !== undefined && createHash('sha256').update(bytes).digest('hex') === entry.sha256;
      const fromSource = same ? await previewDataUrl(bytes) : undefined;
      let url = fromSource;
      if (url === undefined) {
        try {
          url = await jpegDataUrl(dataset.readRecord(entry.record), undefined, 90);
        } catch (error) {
          if (!(error instanceof DamagedRecordError)) throw error;
          url = DAMAGED_THUMBNAIL;
        }
      }
      return { ...image, path: entry.path, label: entry.label, className: dataset.labels[entry.label]!, width: entry.width, height: entry.height, url, fromSource: fromSource !== undefined };
    },
    'datasets:import': async ({ folder, ...options }) => {
      const real = paths.check(folder, 'Folder');
      const outside = options.exclude?.find((p) => p.startsWith('/') || p.includes('\\') || p.split('/').includes('..'));
      if (outside !== undefined) throw new ApiError('E_BAD_REQUEST', `Files to leave out are paths inside the folder with '/' separators (e.g. 'cats/001.jpg'); got '${outside}'.`);
      if (running.has(real)) throw new ApiError('E_BUSY', `Folder '${folder}' is being imported already.`);
      const jobId = `import-${randomUUID().slice(0, 8)}`;
      running.set(real, jobId);
      onJobsChanged();
      void runImport(jobId, real, options);
      return { jobId };
    },
    'datasets:images': async ({ datasetId, label, split, offset, limit }) => {
      const dataset = context.dataset(datasetId);
      if (label !== null && label >= dataset.labels.length) {
        throw new ApiError('E_BAD_REQUEST', `Label ${label} does not exist; dataset '${dataset.manifest.name}' has labels 0 to ${dataset.labels.length - 1}.`);
      }
      const items: ImageItem[] = [];
      let total = 0;
      const positions = { train: 0, test: 0 };
      for (const entry of dataset.manifest.images) {
        const index = positions[entry.split]++;
        if ((split !== 'all' && entry.split !== split) || (label !== null && entry.label !== label)) continue;
        if (total >= offset && items.length < limit) items.push({ split: entry.split, index, path: entry.path, label: entry.label });
        total++;
      }
      return { total, items };
    },
    'datasets:thumbnails': async ({ datasetId, images, size }) => {
      const dataset = context.dataset(datasetId);
      const splits = { train: dataset.entries('train'), test: dataset.entries('test') };
      const records = images.map((ref) => {
        const entry = splits[ref.split][ref.index];
        if (!entry) throw new ApiError('E_BAD_REQUEST', `Image ${ref.index} of the ${ref.split} split does not exist; it has ${splits[ref.split].length} images.`);
        return entry.record;
      });
      return Promise.all(
        records.map((record) => {
          let pixels: Uint8Array;
          try {
            pixels = dataset.readRecord(record);
          } catch (error) {
            if (error instanceof DamagedRecordError) return DAMAGED_THUMBNAIL;
            throw error;
          }
          return jpegDataUrl(pixels, size ?? THUMBNAIL_SIZE, 75);
        }),
      );
    },
  };
  return { handlers, imports: { list: () => [...running].map(([folder, jobId]) => ({ jobId, folder })) } };
}
