// An imported dataset on disk: its manifest, its uint8 image cache and its mean image, opened and checked.
import fs from 'node:fs';
import path from 'node:path';
import { CACHE_RECORD_BYTES, type DatasetManifest, type ImageEntry, type Split } from './types';

export const MANIFEST_FILE = 'manifest.json';

export class Dataset {
  private fd: number | undefined;
  private mean: Float32Array | undefined;

  constructor(
    readonly dir: string,
    readonly manifest: DatasetManifest,
  ) {}

  get labels(): string[] {
    return this.manifest.labels;
  }

  entries(split: Split): ImageEntry[] {
    return this.manifest.images.filter((e) => e.split === split);
  }

  private cacheFd(): number {
    this.fd ??= fs.openSync(path.join(this.dir, this.manifest.cacheFile), 'r');
    return this.fd;
  }

  /** One cached 256x256x3 image. */
  readRecord(record: number, into?: Uint8Array): Uint8Array {
    const out = into ?? new Uint8Array(CACHE_RECORD_BYTES);
    const read = fs.readSync(this.cacheFd(), out, 0, CACHE_RECORD_BYTES, record * CACHE_RECORD_BYTES);
    if (read !== CACHE_RECORD_BYTES) throw new Error(`Cache '${path.join(this.dir, this.manifest.cacheFile)}' is shorter than record ${record}.`);
    return out;
  }

  /** Several records, back to back. */
  readRecords(records: number[], into?: Uint8Array): Uint8Array {
    const out = into ?? new Uint8Array(records.length * CACHE_RECORD_BYTES);
    records.forEach((r, i) => this.readRecord(r, out.subarray(i * CACHE_RECORD_BYTES, (i + 1) * CACHE_RECORD_BYTES)));
    return out;
  }

  /** The training split's mean image, 256x256x3 float32 in 0..255. */
  meanImage(): Float32Array {
    if (!this.mean) {
      const bytes = fs.readFileSync(path.join(this.dir, this.manifest.meanImageFile));
      const mean = new Float32Array(CACHE_RECORD_BYTES);
      new Uint8Array(mean.buffer).set(bytes);
      this.mean = mean;
    }
    return this.mean;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Opens an imported dataset, checking that its files are whole; errors name the file at fault. */
export function openDataset(dir: string): Dataset {
  const file = path.join(dir, MANIFEST_FILE);
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as DatasetManifest;
  } catch (error) {
    throw new Error(`Dataset manifest '${file}' cannot be read: ${(error as Error).message}`);
  }
  if (manifest.version !== 1) throw new Error(`Dataset manifest '${file}' has version ${String(manifest.version)}; this app reads version 1.`);
  const cache = path.join(dir, manifest.cacheFile);
  const cacheBytes = fs.existsSync(cache) ? fs.statSync(cache).size : -1;
  const highest = manifest.images.reduce((m, e) => Math.max(m, e.record), -1);
  if (cacheBytes < (highest + 1) * CACHE_RECORD_BYTES) {
    throw new Error(`Image cache '${cache}' is missing or truncated (${Math.max(0, cacheBytes)} bytes, needs ${(highest + 1) * CACHE_RECORD_BYTES}); import the folder again.`);
  }
  const meanFile = path.join(dir, manifest.meanImageFile);
  if (!fs.existsSync(meanFile) || fs.statSync(meanFile).size !== CACHE_RECORD_BYTES * 4) {
    throw new Error(`Mean image '${meanFile}' is missing or has the wrong size; import the folder again.`);
  }
  return new Dataset(dir, manifest);
}

/** Every imported dataset under a folder (unreadable ones are left out). */
export function listDatasets(root: string): DatasetManifest[] {
  if (!fs.existsSync(root)) return [];
  const out: DatasetManifest[] = [];
  for (const name of fs.readdirSync(root)) {
    try {
      out.push(openDataset(path.join(root, name)).manifest);
    } catch {
      // A half-written or foreign folder is not a dataset; importing again repairs it.
    }
  }
  return out;
}
