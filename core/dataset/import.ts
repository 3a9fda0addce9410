// Imports a folder of class folders: decode, convert, resize and cache every image once, then split and measure.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Dataset, MANIFEST_FILE, openDataset } from './dataset';
import { DecodeError, decodeBuffer } from './decode';
import { scanFolder, type ScannedFile } from './scan';
import { stratifiedTestIndices } from './split';
import { StatisticsAccumulator } from './statistics';
import {
  CACHE_RECORD_BYTES,
  type Conversion,
  type DatasetManifest,
  type ImageEntry,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
  type SkippedFile,
} from './types';

/** Files decoded at the same time: sharp decodes on its own threads; a few in flight keep them busy. */
const CONCURRENCY = 3;

export function datasetId(source: string): string {
  const slug = path.basename(source).toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'dataset';
  return `${slug}-${createHash('sha256').update(path.resolve(source)).digest('hex').slice(0, 8)}`;
}

function writeAtomically(file: string, data: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

function previousManifest(dir: string): DatasetManifest | undefined {
  if (!fs.existsSync(path.join(dir, MANIFEST_FILE))) return undefined;
  try {
    return openDataset(dir).manifest;
  } catch {
    // A damaged earlier import is ignored: everything is decoded again.
    return undefined;
  }
}

/** Reports progress at most ten times a second, and always the last call. */
function throttled(onProgress: ((p: ImportProgress) => void) | undefined) {
  let last = 0;
  let phaseStart = performance.now();
  let phase = '';
  return (p: Omit<ImportProgress, 'rate' | 'etaSeconds'>) => {
    if (!onProgress) return;
    const now = performance.now();
    if (p.phase !== phase) {
      phase = p.phase;
      phaseStart = now;
    }
    if (p.done < p.total && now - last < 100) return;
    last = now;
    const seconds = (now - phaseStart) / 1000;
    const rate = seconds > 0 ? p.done / seconds : 0;
    onProgress({ ...p, rate, etaSeconds: rate > 0 ? (p.total - p.done) / rate : undefined });
  };
}

export async function importDataset(source: string, datasetsRoot: string, options: ImportOptions = {}): Promise<Dataset> {
  const started = performance.now();
  const absolute = path.resolve(source);
  const testFraction = options.testFraction ?? 0.2;
  const seed = options.seed ?? 0;
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`Test fraction ${testFraction} is not allowed; use a number between 0 and 1.`);
  const progress = throttled(options.onProgress);
  progress({ phase: 'scanning', done: 0, total: 1 });
  const scan = scanFolder(absolute);
  const id = datasetId(absolute);
  const dir = path.join(datasetsRoot, id);
  fs.mkdirSync(dir, { recursive: true });
  const previous = previousManifest(dir);
  const previousByPath = new Map((previous?.images ?? []).map((e) => [e.path, e]));

  // Decode what is new or changed; reuse the rest.
  const cacheFile = path.join(dir, 'images.u8');
  const fd = fs.openSync(cacheFile, fs.existsSync(cacheFile) && previous ? 'r+' : 'w+');
  let records = Math.floor(fs.fstatSync(fd).size / CACHE_RECORD_BYTES);
  const skipped: SkippedFile[] = [...scan.skipped];
  const kept: { scanned: ScannedFile; entry: Omit<ImageEntry, 'label' | 'split'> }[] = [];
  const toDecode: ScannedFile[] = [];
  for (const f of scan.files) {
    const old = previousByPath.get(f.path);
    if (old && old.size === f.size && old.mtimeMs === f.mtimeMs && old.record < records) {
      kept.push({ scanned: f, entry: { path: f.path, record: old.record, sha256: old.sha256, size: f.size, mtimeMs: f.mtimeMs, width: old.width, height: old.height, conversions: old.conversions ?? [] } });
    } else toDecode.push(f);
  }
  const reused = kept.length;
  let done = 0;
  let next = 0;
  const work = async () => {
    while (next < toDecode.length) {
      if (options.signal?.aborted) throw Object.assign(new Error('Import aborted.'), { name: 'AbortError' });
      const f = toDecode[next++]!;
      try {
        let bytes: Buffer;
        try {
          bytes = await fs.promises.readFile(f.file);
        } catch (error) {
          throw new DecodeError('unreadable', `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        const decoded = await decodeBuffer(bytes, f.path);
        const record = records++;
        fs.writeSync(fd, decoded.pixels, 0, CACHE_RECORD_BYTES, record * CACHE_RECORD_BYTES);
        kept.push({
          scanned: f,
          entry: { path: f.path, record, sha256: createHash('sha256').update(bytes).digest('hex'), size: f.size, mtimeMs: f.mtimeMs, width: decoded.width, height: decoded.height, conversions: decoded.conversions },
        });
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        skipped.push({ path: f.path, reason: error.reason, detail: error.message.replace(/^'[^']*' /, '') });
      }
      done++;
      progress({ phase: 'decoding', done, total: toDecode.length, current: f.path });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, Math.max(1, toDecode.length)) }, work));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  progress({ phase: 'decoding', done: toDecode.length, total: toDecode.length });

  // Labels: earlier labels keep their index (never re-sorted); new non-empty classes are appended in sorted order.
  kept.sort((a, b) => (a.scanned.path < b.scanned.path ? -1 : a.scanned.path > b.scanned.path ? 1 : 0));
  const withImages = new Set(kept.map((k) => k.scanned.className));
  const labels = [...(previous?.labels ?? [])];
  for (const name of scan.classNames) if (withImages.has(name) && !labels.includes(name)) labels.push(name);
  const emptyClasses = scan.classNames.filter((n) => !withImages.has(n));
  if (kept.length === 0) {
    throw new Error(`No images were found in '${absolute}': expected one subfolder per class (or train/ and test/ folders of class folders) holding image files.`);
  }

  // Split: from the folders, else earlier choices kept and new files split per class with the seed.
  const images: ImageEntry[] = [];
  const fresh = new Map<string, typeof kept>();
  for (const k of kept) {
    const label = labels.indexOf(k.scanned.className);
    const earlier = previousByPath.get(k.scanned.path);
    if (k.scanned.split) images.push({ ...k.entry, label, split: k.scanned.split });
    else if (earlier && previous?.report.split.kind === 'seeded') images.push({ ...k.entry, label, split: earlier.split });
    else fresh.set(k.scanned.className, [...(fresh.get(k.scanned.className) ?? []), k]);
  }
  for (const [className, items] of fresh) {
    const test = stratifiedTestIndices(items.length, testFraction, seed, className);
    items.forEach((k, i) => images.push({ ...k.entry, label: labels.indexOf(className), split: test.has(i) ? 'test' : 'train' }));
  }
  images.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  compactCache(cacheFile, images);

  // Statistics of the training split (section 2's mean image, section 4.1's colour covariance).
  const dataset = new Dataset(dir, { cacheFile: 'images.u8' } as DatasetManifest);
  const accumulator = new StatisticsAccumulator();
  const train = images.filter((e) => e.split === 'train');
  const buffer = new Uint8Array(CACHE_RECORD_BYTES);
  train.forEach((e, i) => {
    accumulator.add(dataset.readRecord(e.record, buffer));
    progress({ phase: 'statistics', done: i + 1, total: train.length });
  });
  dataset.close();
  if (train.length === 0) throw new Error(`Dataset '${absolute}' has no training images after the split; add images or lower the test fraction.`);
  const statistics = accumulator.result();

  const byHash = new Map<string, ImageEntry[]>();
  for (const e of images) byHash.set(e.sha256, [...(byHash.get(e.sha256) ?? []), e]);
  const groups = [...byHash.values()].filter((g) => g.length > 1);
  const leakage: [string, string][] = [];
  for (const g of groups) {
    for (const a of g.filter((e) => e.split === 'train')) for (const b of g.filter((e) => e.split === 'test')) leakage.push([a.path, b.path]);
  }
  const conversions: Conversion[] = images.flatMap((e) => e.conversions.map((detail) => ({ path: e.path, detail })));
  const report: ImportReport = {
    source: absolute,
    split: scan.layout === 'folders' ? { kind: 'folders' } : { kind: 'seeded', testFraction: previous?.report.split.kind === 'seeded' ? previous.report.split.testFraction : testFraction, seed: previous?.report.split.kind === 'seeded' ? previous.report.split.seed : seed },
    imported: images.length,
    decoded: images.length - reused,
    reused,
    skipped: skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    conversions,
    emptyClasses,
    duplicates: groups.map((g) => g.map((e) => e.path)),
    leakage,
    counts: labels.map((label, i) => ({
      label,
      train: images.filter((e) => e.label === i && e.split === 'train').length,
      test: images.filter((e) => e.label === i && e.split === 'test').length,
    })),
    seconds: (performance.now() - started) / 1000,
  };
  const now = new Date().toISOString();
  const manifest: DatasetManifest = {
    version: 1,
    id,
    name: options.name ?? previous?.name ?? path.basename(absolute),
    source: absolute,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    labels,
    images,
    statistics: statistics.colour,
    meanImageFile: 'mean.f32',
    cacheFile: 'images.u8',
    report,
  };
  const mean = statistics.meanImage;
  writeAtomically(path.join(dir, 'mean.f32'), new Uint8Array(mean.buffer, mean.byteOffset, mean.byteLength));
  // The manifest goes last: until it is renamed into place, the previous import stays whole and usable.
  writeAtomically(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  progress({ phase: 'done', done: images.length, total: images.length });
  return openDataset(dir);
}

/** Rewrites the cache without orphaned records (of removed or changed files) once they outnumber the live ones. */
function compactCache(cacheFile: string, images: ImageEntry[]): void {
  const total = Math.floor(fs.statSync(cacheFile).size / CACHE_RECORD_BYTES);
  if (total - images.length <= images.length) return;
  const temp = `${cacheFile}.${process.pid}.tmp`;
  const input = fs.openSync(cacheFile, 'r');
  const output = fs.openSync(temp, 'w');
  const buffer = new Uint8Array(CACHE_RECORD_BYTES);
  try {
    images.forEach((e, i) => {
      fs.readSync(input, buffer, 0, CACHE_RECORD_BYTES, e.record * CACHE_RECORD_BYTES);
      fs.writeSync(output, buffer, 0, CACHE_RECORD_BYTES, i * CACHE_RECORD_BYTES);
      e.record = i;
    });
    fs.fsyncSync(output);
  } finally {
    fs.closeSync(input);
    fs.closeSync(output);
  }
  fs.renameSync(temp, cacheFile);
}
