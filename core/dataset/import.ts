// Imports a folder of class folders: decodes, converts and caches every image once, then splits it and measures it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { datasetFiles, needsCompaction, RecordReader, RecordWriter, writeAndSync, writeCompactedCache } from './cache';
import { openDataset, type Dataset } from './dataset';
import { DecodeError, decodeImageBytes, readImageFile } from './decode';
import { findDuplicates, isLabelConflict, pixelSignature, type PixelSignature } from './duplicates';
import { faultPoint } from '../fault-points';
import { systemFailure } from '../system-errors';
import { IMAGE_EXTENSIONS, scanFolder, type Scan, type ScannedFile } from './scan';
import { splitNewUnits } from './split';
import { StatisticsAccumulator, type TrainingStatistics } from './statistics';
import {
  CACHE_RECORD_BYTES,
  type ColourStatistics,
  type DatasetManifest,
  type DuplicateGroup,
  type ImageEntry,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
  type SkippedFile,
  SMALL_IMAGE_SIDE,
  type Split,
} from './types';

/** Files decoded at once: sharp decodes on libuv's threads, and on 2 cores 3 in flight keep them busy without piling up. */
const CONCURRENCY = 3;
/** Progress events are at least this far apart, except the last of each phase. */
const PROGRESS_INTERVAL_MS = 100;

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The dataset's folder name: a slug of the folder's name and the first 8 hex digits of SHA-256 of its absolute path. */
export function datasetId(source: string): string {
  const absolute = path.resolve(source);
  const slug =
    path
      .basename(absolute)
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'dataset';
  return `${slug}-${createHash('sha256').update(absolute).digest('hex').slice(0, 8)}`;
}

/** Calls onProgress at most every PROGRESS_INTERVAL_MS, always for the last event of a phase, with rate and ETA. */
class ProgressReporter {
  private last = -Infinity;
  private phase: ImportProgress['phase'] | undefined;
  private phaseStart = 0;

  constructor(private readonly onProgress: ((progress: ImportProgress) => void) | undefined) {}

  report(phase: ImportProgress['phase'], done: number, total: number, final: boolean, current?: string): void {
    if (!this.onProgress) return;
    const now = performance.now();
    if (phase !== this.phase) {
      this.phase = phase;
      this.phaseStart = now;
    }
    if (!final && now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    const seconds = (now - this.phaseStart) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const event: ImportProgress = { phase, done, total, rate, etaSeconds: rate > 0 ? (total - done) / rate : undefined };
    if (current !== undefined) event.current = current;
    this.onProgress(event);
  }
}

/** The manifest of an earlier import of the same folder, or undefined when there is none or it is damaged. */
function earlierImport(dir: string): DatasetManifest | undefined {
  if (!fs.existsSync(datasetFiles(dir).manifest)) return undefined;
  try {
    return openDataset(dir).manifest;
  } catch {
    // A damaged earlier import cannot be trusted: everything is decoded again and its files are replaced.
    return undefined;
  }
}

function checkOptions(options: ImportOptions): void {
  const { testFraction, seed } = options;
  if (testFraction !== undefined && !(testFraction > 0 && testFraction < 1)) {
    throw new Error(`Test fraction ${testFraction} is not allowed; use a number between 0 and 1 (exclusive), e.g. 0.2.`);
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error(`Seed ${seed} is not allowed; use a whole number.`);
  const bad = options.exclude?.find((p) => typeof p !== 'string' || p === '' || p.startsWith('/') || p.includes('\\'));
  if (bad !== undefined) throw new Error(`File to leave out ${JSON.stringify(bad)} is not allowed; use a path relative to the dataset's folder with '/' separators, e.g. 'cats/001.jpg'.`);
}

interface Decoded {
  file: ScannedFile;
  entry: Omit<ImageEntry, 'label' | 'split'>;
  /** Of the cached record, to find duplicates. */
  signature: PixelSignature;
}

/**
 * Imports `source` into `path.join(datasetsRoot, datasetId(source))`, or updates that dataset when it was imported
 * before: unchanged files (same path, size and mtime) keep their cached record, new and changed files are decoded,
 * removed ones leave the manifest. Labels keep their index and new classes are appended. With a seeded split, images
 * imported before keep their split, and the seed and test fraction of the first import stay in force.
 * Throws when the source is missing, is not a folder or holds no decodable image in a class folder.
 */
export async function importDataset(source: string, datasetsRoot: string, options: ImportOptions = {}): Promise<Dataset> {
  const started = performance.now();
  checkOptions(options);
  const absolute = path.resolve(source);
  const progress = new ProgressReporter(options.onProgress);
  const checkAborted = () => {
    if (options.signal?.aborted) throw Object.assign(new Error(`Import of '${absolute}' was aborted.`), { name: 'AbortError', cause: options.signal.reason as unknown });
  };

  progress.report('scanning', 0, 0, false);
  const scan = scanFolder(absolute, (found) => progress.report('scanning', found, found, false), checkAborted);
  progress.report('scanning', scan.files.length, scan.files.length, true);
  const noImages = (skipped: SkippedFile[]) => {
    const reasons = new Map<string, number>();
    for (const s of skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    const summary = [...reasons].map(([reason, n]) => `${n} ${reason}`).join(', ');
    // The skipped files travel with the error, so that a host can show why nothing could be imported.
    return Object.assign(
      new Error(
        `No images were found in '${absolute}': expected one subfolder per class (or train/ and test/ folders of class folders) ` +
          `holding image files (${[...IMAGE_EXTENSIONS].join(', ')}).${summary ? ` Skipped: ${summary}.` : ''}`,
      ),
      { skipped },
    );
  };
  if (scan.files.length === 0) throw noImages(scan.skipped);

  const id = datasetId(absolute);
  const dir = path.join(datasetsRoot, id);
  const existed = fs.existsSync(dir);
  fs.mkdirSync(dir, { recursive: true });
  try {
    return await importInto({ dir, id, absolute, scan, options, progress, checkAborted, noImages, started });
  } catch (error) {
    // A first import that fails leaves nothing behind; an earlier import stays whole (its manifest is untouched).
    if (!existed) fs.rmSync(dir, { recursive: true, force: true });
    for (const leftover of existed && fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')) : []) fs.rmSync(path.join(dir, leftover), { force: true });
    const system = systemFailure(error);
    if (system) {
      throw Object.assign(new Error(`The import of '${absolute}' stopped: ${system}. ${existed ? 'The dataset as imported before is kept.' : 'Nothing was kept of it.'}`), { code: (error as { code: string }).code });
    }
    throw error;
  }
}

/** What importDataset has settled before the dataset folder is touched. */
interface ImportContext {
  dir: string;
  id: string;
  /** The source folder, absolute. */
  absolute: string;
  scan: Scan;
  options: ImportOptions;
  progress: ProgressReporter;
  /** Throws an AbortError once options.signal has fired. */
  checkAborted: () => void;
  /** The error for a folder with no decodable image, summarising what was skipped. */
  noImages: (skipped: SkippedFile[]) => Error;
  /** performance.now() at the start. */
  started: number;
}

/** Decodes, splits, measures and writes the dataset in `dir`; a failure leaves an earlier import there usable. */
async function importInto(context: ImportContext): Promise<Dataset> {
  const { dir, id, absolute, options, progress, checkAborted, noImages, started } = context;
  const files = datasetFiles(dir);
  const previous = earlierImport(dir);
  const earlier = new Map((previous?.images ?? []).map((e) => [e.path, e]));
  // Files the user left out: this import's list, else the earlier import's (paths no longer in the folder drop off).
  const leaveOut = new Set(options.exclude ?? previous?.report.excluded ?? []);
  const scan = { ...context.scan, files: context.scan.files.filter((f) => !leaveOut.has(f.path)) };
  const excluded = context.scan.files.filter((f) => leaveOut.has(f.path)).map((f) => f.path);

  // Reuse what is unchanged; decode what is new or changed, appending to the cache (an older manifest stays valid).
  const writer = RecordWriter.open(files.cache, previous !== undefined);
  const kept: Decoded[] = [];
  const toDecode: ScannedFile[] = [];
  // An unchanged file keeps its record, unless the record fails its checksum (a damaged cache): then it is decoded again.
  const reader = new RecordReader(files.cache);
  const buffer = new Uint8Array(CACHE_RECORD_BYTES);
  try {
    for (const [i, file] of scan.files.entries()) {
      if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve)); // let a host serve requests meanwhile
      const old = earlier.get(file.path);
      const record = old !== undefined && old.record < writer.records && old.size === file.size && old.mtimeMs === file.mtimeMs ? reader.read(old.record, buffer) : undefined;
      if (old && record && (old.recordCrc32 === undefined || crc32(record) === old.recordCrc32)) {
        const { label: _label, split: _split, ...entry } = old;
        kept.push({ file, entry: { ...entry, conversions: old.conversions ?? [] }, signature: pixelSignature(record) });
      } else toDecode.push(file);
    }
  } finally {
    reader.close();
  }
  const reused = kept.length;
  const skipped: SkippedFile[] = [...scan.skipped];
  let decoded = 0;
  try {
    let next = 0;
    let done = 0;
    let failed = false;
    progress.report('decoding', 0, toDecode.length, toDecode.length === 0);
    const worker = async () => {
      while (next < toDecode.length && !failed) {
        checkAborted();
        const file = toDecode[next++]!;
        try {
          const bytes = await readImageFile(file.file);
          const sha256 = createHash('sha256').update(bytes).digest('hex');
          const image = await decodeImageBytes(bytes, file.path);
          const record = writer.append(image.pixels);
          faultPoint('import:record-written');
          const recordCrc32 = crc32(image.pixels);
          kept.push({
            file,
            entry: { path: file.path, record, recordCrc32, sha256, size: file.size, mtimeMs: file.mtimeMs, width: image.width, height: image.height, conversions: image.conversions },
            signature: pixelSignature(image.pixels),
          });
          decoded++;
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          skipped.push({ path: file.path, reason: error.reason, detail: error.detail });
        }
        done++;
        progress.report('decoding', done, toDecode.length, done === toDecode.length, file.path);
      }
    };
    // Every worker is waited for before the cache is closed, so that none writes to a closed (or reused) descriptor.
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(CONCURRENCY, toDecode.length) }, () =>
        worker().catch((error: unknown) => {
          failed = true;
          throw error;
        }),
      ),
    );
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    writer.close();
  }
  if (kept.length === 0) throw noImages(skipped);

  // Labels: the earlier ones keep their index; classes that now have images are appended in code-unit order.
  const withImages = new Set(kept.map((k) => k.file.className));
  const labels = [...(previous?.labels ?? [])];
  for (const name of scan.classNames) if (withImages.has(name) && !labels.includes(name)) labels.push(name);
  const labelOf = new Map(labels.map((name, i) => [name, i]));
  const emptyClasses = scan.classNames.filter((n) => !withImages.has(n));

  // Split: from the folders; else earlier images keep theirs and new ones are drawn per class with the seed.
  const earlierSplit = scan.layout === 'classes' && previous?.report.split.kind === 'seeded' ? previous.report.split : undefined;
  const keepEarlier = earlierSplit !== undefined;
  const testFraction = earlierSplit?.testFraction ?? options.testFraction ?? 0.2;
  const seed = earlierSplit?.seed ?? options.seed ?? 0;
  kept.sort((a, b) => byCodeUnit(a.file.path, b.file.path));
  const duplicates = findDuplicates(kept.map((k) => ({ path: k.file.path, className: k.file.className, sha256: k.entry.sha256, signature: k.signature })));
  const images: ImageEntry[] = [];
  const fresh = new Map<string, Decoded[]>();
  const earlierSplits = new Map<string, { train: number; test: number }>();
  for (const k of kept) {
    const label = labelOf.get(k.file.className)!;
    const old = earlier.get(k.file.path);
    if (k.file.split) images.push({ ...k.entry, label, split: k.file.split });
    else if (keepEarlier && old) {
      images.push({ ...k.entry, label, split: old.split });
      const counts = earlierSplits.get(k.file.className) ?? { train: 0, test: 0 };
      counts[old.split]++;
      earlierSplits.set(k.file.className, counts);
    } else {
      const list = fresh.get(k.file.className);
      if (list) list.push(k);
      else fresh.set(k.file.className, [k]);
    }
  }
  splitFresh(fresh, images, duplicates, earlierSplits, { testFraction, seed }, (className) => labelOf.get(className)!);
  images.sort((a, b) => byCodeUnit(a.path, b.path));

  // The training split's mean image (section 2) and colour statistics (section 4.1), unless the training images are
  // exactly those of the earlier import (then its mean image and statistics still hold).
  const train = images.filter((e) => e.split === 'train');
  if (train.length === 0) throw new Error(`Dataset '${absolute}' has no training images: its train/ folder holds no decodable image.`);
  const earlierTrain = previous?.images.filter((e) => e.split === 'train');
  const sameTraining =
    earlierTrain !== undefined && earlierTrain.length === train.length && train.every((e, i) => e.path === earlierTrain[i]!.path && e.record === earlierTrain[i]!.record && e.sha256 === earlierTrain[i]!.sha256);
  let colour: ColourStatistics;
  let meanImage: Float32Array | undefined;
  if (previous && sameTraining) {
    colour = previous.statistics;
    progress.report('statistics', train.length, train.length, true);
  } else {
    ({ colour, meanImage } = await measureTraining(files.cache, train, progress, checkAborted));
  }

  const report = makeReport(absolute, scan.layout === 'folders' ? { kind: 'folders' } : { kind: 'seeded', testFraction, seed }, images, labels, {
    decoded,
    reused,
    skipped,
    emptyClasses,
    duplicates,
    excluded,
    seconds: 0,
  });

  // Records of removed and changed files are left in the cache until they are more than half of it.
  const cacheTemp = `${files.cache}.${process.pid}.tmp`;
  let compacted = false;
  if (needsCompaction(writer.records, new Set(images.map((e) => e.record)))) {
    const moved = writeCompactedCache(files.cache, cacheTemp, images.map((e) => e.record));
    for (const e of images) e.record = moved.get(e.record)!;
    compacted = true;
  }

  const now = new Date().toISOString();
  report.seconds = (performance.now() - started) / 1000;
  const manifest: DatasetManifest = {
    version: 1,
    id,
    name: options.name ?? previous?.name ?? path.basename(absolute),
    source: absolute,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    labels,
    images,
    statistics: colour,
    meanImageFile: 'mean.f32',
    cacheFile: 'images.u8',
    report,
  };
  const meanTemp = `${files.mean}.${process.pid}.tmp`;
  const manifestTemp = `${files.manifest}.${process.pid}.tmp`;
  if (meanImage) writeAndSync(meanTemp, new Uint8Array(meanImage.buffer, meanImage.byteOffset, meanImage.byteLength));
  writeAndSync(manifestTemp, JSON.stringify(manifest));
  faultPoint('import:manifest-temp-written');
  // Renamed into place last, manifest last of all. A compacted cache renumbers the records, so the old manifest goes
  // first: a crash in between leaves no dataset (import again) rather than a manifest pointing at the wrong images.
  if (compacted) {
    fs.rmSync(files.manifest, { force: true });
    fs.renameSync(cacheTemp, files.cache);
  }
  if (meanImage) fs.renameSync(meanTemp, files.mean);
  fs.renameSync(manifestTemp, files.manifest);
  progress.report('done', images.length, images.length, true);
  return openDataset(dir);
}

/** Reads the training records one at a time and accumulates their mean image and colour statistics. */
async function measureTraining(cacheFile: string, train: ImageEntry[], progress: ProgressReporter, checkAborted: () => void): Promise<TrainingStatistics> {
  const accumulator = new StatisticsAccumulator();
  const reader = new RecordReader(cacheFile);
  const buffer = new Uint8Array(CACHE_RECORD_BYTES);
  try {
    progress.report('statistics', 0, train.length, false);
    for (let i = 0; i < train.length; i++) {
      if (i % 64 === 0) {
        checkAborted();
        // A host serves requests meanwhile (tens of thousands of images take tens of seconds here).
        await new Promise((resolve) => setImmediate(resolve));
      }
      accumulator.add(reader.read(train[i]!.record, buffer));
      progress.report('statistics', i + 1, train.length, i + 1 === train.length);
    }
  } finally {
    reader.close();
  }
  return accumulator.result();
}

/**
 * The seeded split of the images new to a class (`fresh`, by class, in path order), pushed onto `images` (which holds
 * the images whose split is fixed already). A group of duplicates goes to one split: to the split of a member whose
 * split is fixed, else to train when it spans classes (a label conflict is not a fair test), else it is drawn as one.
 */
function splitFresh(
  fresh: Map<string, Decoded[]>,
  images: ImageEntry[],
  duplicates: DuplicateGroup[],
  earlierSplits: Map<string, { train: number; test: number }>,
  rule: { testFraction: number; seed: number },
  labelOf: (className: string) => number,
): void {
  const groupOf = new Map<string, DuplicateGroup>();
  for (const group of duplicates) for (const image of group.images) groupOf.set(image.path, group);
  const fixed = new Map(images.map((e) => [e.path, e.split]));
  const settled = (group: DuplicateGroup): Split | undefined => {
    const member = group.images.find((image) => fixed.has(image.path));
    return member ? fixed.get(member.path) : isLabelConflict(group) ? 'train' : undefined;
  };
  for (const [className, items] of fresh) {
    const counts = { ...(earlierSplits.get(className) ?? { train: 0, test: 0 }) };
    const units: Decoded[][] = [];
    const unitOf = new Map<DuplicateGroup, Decoded[]>();
    for (const k of items) {
      const group = groupOf.get(k.file.path);
      const split = group && settled(group);
      if (split) {
        images.push({ ...k.entry, label: labelOf(className), split });
        counts[split]++;
      } else if (group && unitOf.has(group)) unitOf.get(group)!.push(k);
      else {
        const unit = [k];
        units.push(unit);
        if (group) unitOf.set(group, unit);
      }
    }
    const test = splitNewUnits(units.map((u) => u.length), counts.train, counts.test, rule.testFraction, rule.seed, className);
    units.forEach((unit, u) => {
      for (const k of unit) images.push({ ...k.entry, label: labelOf(className), split: test.has(u) ? 'test' : 'train' });
    });
  }
}

/** The import report: counts, conversions, duplicates, train/test leakage and small images. */
function makeReport(
  source: string,
  split: ImportReport['split'],
  images: ImageEntry[],
  labels: string[],
  rest: Pick<ImportReport, 'decoded' | 'reused' | 'skipped' | 'emptyClasses' | 'duplicates' | 'excluded' | 'seconds'>,
): ImportReport {
  const splitOf = new Map(images.map((e) => [e.path, e.split]));
  const leakage: [string, string][] = [];
  for (const g of rest.duplicates) {
    const paths = g.images.map((image) => image.path);
    for (const a of paths.filter((p) => splitOf.get(p) === 'train')) for (const b of paths.filter((p) => splitOf.get(p) === 'test')) leakage.push([a, b]);
  }
  const counts = labels.map((label) => ({ label, train: 0, test: 0 }));
  for (const e of images) counts[e.label]![e.split satisfies Split]++;
  return {
    source,
    split,
    imported: images.length,
    decoded: rest.decoded,
    reused: rest.reused,
    skipped: [...rest.skipped].sort((a, b) => byCodeUnit(a.path, b.path)),
    conversions: images.flatMap((e) => e.conversions.map((detail) => ({ path: e.path, detail }))),
    emptyClasses: rest.emptyClasses,
    duplicates: rest.duplicates,
    leakage,
    smallImages: images.filter((e) => Math.min(e.width, e.height) < SMALL_IMAGE_SIDE).map((e) => ({ path: e.path, width: e.width, height: e.height })),
    excluded: rest.excluded,
    counts,
    seconds: rest.seconds,
  };
}
