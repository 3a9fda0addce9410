// An imported dataset on disk: its manifest, its uint8 image cache and its mean image, opened and checked.
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { CACHE_FILE, MANIFEST_FILE, MEAN_IMAGE_FILE, RecordReader, recordsIn, writeFileAtomically } from './cache';
import { DamagedRecordError } from './damaged-record';
import { CACHE_RECORD_BYTES, type DatasetManifest, type ImageEntry, type Split } from './types';

export { MANIFEST_FILE } from './cache';
export { DamagedRecordError } from './damaged-record';

export class Dataset {
  private readonly reader: RecordReader;
  private mean: Float32Array | undefined;
  /** Record -> [checksum, path] of every image that has one. */
  private readonly checksums = new Map<number, [number, string]>();

  /** Use openDataset(dir), which checks the files first. */
  constructor(
    readonly dir: string,
    readonly manifest: DatasetManifest,
  ) {
    this.reader = new RecordReader(path.join(dir, manifest.cacheFile));
    for (const e of manifest.images) if (e.recordCrc32 !== undefined) this.checksums.set(e.record, [e.recordCrc32, e.path]);
  }

  /** Class names; an image's `label` indexes this list. */
  get labels(): string[] {
    return this.manifest.labels;
  }

  /** The images of one split, in manifest order (sorted by path). */
  entries(split: Split): ImageEntry[] {
    return this.manifest.images.filter((e) => e.split === split);
  }

  /** One cached image, [256, 256, 3] uint8 RGB; DamagedRecordError when it fails its checksum. */
  readRecord(record: number, into?: Uint8Array): Uint8Array {
    const pixels = this.reader.read(record, into);
    this.verify(record, pixels.subarray(0, CACHE_RECORD_BYTES));
    return pixels;
  }

  /** Several cached images back to back, [records.length, 256, 256, 3], through one open file descriptor; checked as readRecord. */
  readRecords(records: readonly number[], into?: Uint8Array): Uint8Array {
    const pixels = this.reader.readMany(records, into);
    records.forEach((r, i) => this.verify(r, pixels.subarray(i * CACHE_RECORD_BYTES, (i + 1) * CACHE_RECORD_BYTES)));
    return pixels;
  }

  private verify(record: number, pixels: Uint8Array): void {
    const expected = this.checksums.get(record);
    if (expected && crc32(pixels) !== expected[0]) throw new DamagedRecordError(expected[1], record, this.reader.file);
  }

  /** The training split's mean image, [256, 256, 3] float32 in 0..255 (read once, then kept). */
  meanImage(): Float32Array {
    if (!this.mean) {
      const file = path.join(this.dir, this.manifest.meanImageFile);
      const bytes = fs.readFileSync(file);
      if (bytes.length !== CACHE_RECORD_BYTES * 4) throw new Error(`Mean image '${file}' has ${bytes.length} bytes; expected ${CACHE_RECORD_BYTES * 4}.`);
      // Copied into a fresh, aligned buffer; the file is little-endian float32, as every platform we run on.
      const mean = new Float32Array(CACHE_RECORD_BYTES);
      new Uint8Array(mean.buffer).set(bytes);
      this.mean = mean;
    }
    return this.mean;
  }

  /** Closes the cache file; reading again reopens it. */
  close(): void {
    this.reader.close();
  }
}

/** Checks a parsed manifest's shape and values; returns the first problem in words, or undefined. */
function manifestProblem(m: Partial<DatasetManifest> | null): string | undefined {
  if (typeof m !== 'object' || m === null) return 'is not a JSON object';
  if (m.version !== 1) return `has version ${JSON.stringify(m.version)}; this app reads version 1`;
  if (m.cacheFile !== CACHE_FILE || m.meanImageFile !== MEAN_IMAGE_FILE) return `names cache '${m.cacheFile}' and mean '${m.meanImageFile}'; expected '${CACHE_FILE}' and '${MEAN_IMAGE_FILE}'`;
  if (!Array.isArray(m.labels) || m.labels.some((l) => typeof l !== 'string')) return 'has no list of label names';
  if (!Array.isArray(m.images)) return 'has no list of images';
  if (typeof m.statistics !== 'object' || m.statistics === null) return 'has no colour statistics';
  for (const e of m.images) {
    if (!Number.isInteger(e.record) || e.record < 0) return `gives image '${e.path}' the record ${e.record}`;
    if (!Number.isInteger(e.label) || e.label < 0 || e.label >= m.labels.length) return `gives image '${e.path}' the label ${e.label}, not one of the ${m.labels.length} labels`;
    if (e.split !== 'train' && e.split !== 'test') return `puts image '${e.path}' in split '${String(e.split)}'`;
  }
  return undefined;
}

/** Opens an imported dataset, checking that its manifest, cache and mean image belong together; errors name the file at fault. */
export function openDataset(dir: string): Dataset {
  const file = path.join(dir, MANIFEST_FILE);
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as DatasetManifest;
  } catch (error) {
    throw new Error(`Dataset manifest '${file}' cannot be read: ${(error as Error).message}`);
  }
  const problem = manifestProblem(manifest);
  if (problem) throw new Error(`Dataset manifest '${file}' ${problem}.`);
  const cache = path.join(dir, manifest.cacheFile);
  const needed = manifest.images.reduce((m, e) => Math.max(m, e.record + 1), 0);
  const held = fs.existsSync(cache) ? recordsIn(fs.statSync(cache).size) : -1;
  if (held < needed) {
    throw new Error(`Image cache '${cache}' ${held < 0 ? 'is missing' : `holds ${held} records`}; the manifest needs ${needed}. Import the folder again.`);
  }
  const meanFile = path.join(dir, manifest.meanImageFile);
  const meanBytes = fs.existsSync(meanFile) ? fs.statSync(meanFile).size : -1;
  if (meanBytes !== CACHE_RECORD_BYTES * 4) {
    throw new Error(`Mean image '${meanFile}' ${meanBytes < 0 ? 'is missing' : `has ${meanBytes} bytes`}; expected ${CACHE_RECORD_BYTES * 4} (256x256x3 float32). Import the folder again.`);
  }
  return new Dataset(dir, manifest);
}

/**
 * The manifests of every dataset under a folder, sorted by folder name. Folders without a manifest (not datasets, or an
 * import that never finished) are passed over; a damaged dataset is left out and handed to `onDamaged`, if given.
 */
export function listDatasets(datasetsRoot: string, onDamaged?: (dir: string, error: Error) => void): DatasetManifest[] {
  if (!fs.existsSync(datasetsRoot)) return [];
  const out: DatasetManifest[] = [];
  const names = fs
    .readdirSync(datasetsRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const dir = path.join(datasetsRoot, name);
    if (!fs.existsSync(path.join(dir, MANIFEST_FILE))) continue;
    try {
      out.push(openDataset(dir).manifest);
    } catch (error) {
      onDamaged?.(dir, error as Error);
    }
  }
  return out;
}

/** Gives an imported dataset a new name (shown in lists; kept by later imports of the same folder). */
export function renameDataset(dir: string, name: string): void {
  const dataset = openDataset(dir);
  const manifest = { ...dataset.manifest, name };
  dataset.close();
  writeFileAtomically(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
}
