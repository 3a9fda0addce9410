// The on-disk image cache (images.u8: fixed-size uint8 records back to back) and the atomic writes of a dataset's files.
import fs from 'node:fs';
import path from 'node:path';
import { CACHE_RECORD_BYTES } from './types';

export const CACHE_FILE = 'images.u8';
export const MEAN_IMAGE_FILE = 'mean.f32';
export const MANIFEST_FILE = 'manifest.json';

/** Writes a file under a temporary name, flushes it to disk and renames it into place. */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeAndSync(temp, data);
  fs.renameSync(temp, file);
}

/** Writes and fsyncs a file (the first half of an atomic replace). */
export function writeAndSync(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whole records in a cache file of this many bytes (a record cut short by a crash does not count). */
export const recordsIn = (bytes: number) => Math.floor(bytes / CACHE_RECORD_BYTES);

/** Appends records to a cache file; records already there stay where they are, so an older manifest stays valid. */
export class RecordWriter {
  private constructor(
    private readonly fd: number,
    private next: number,
  ) {}

  /** Opens `file` to append after its whole records, or empties it first when `keep` is false. */
  static open(file: string, keep: boolean): RecordWriter {
    const fd = fs.openSync(file, keep && fs.existsSync(file) ? 'r+' : 'w+');
    return new RecordWriter(fd, recordsIn(fs.fstatSync(fd).size));
  }

  /** Records in the file, including the ones written before it was opened. */
  get records(): number {
    return this.next;
  }

  /** Writes one [256, 256, 3] image and returns its record index. */
  append(pixels: Uint8Array): number {
    if (pixels.length !== CACHE_RECORD_BYTES) throw new Error(`A cache record is ${CACHE_RECORD_BYTES} bytes; got ${pixels.length}.`);
    const record = this.next++;
    let written = 0;
    while (written < pixels.length) written += fs.writeSync(this.fd, pixels, written, pixels.length - written, record * CACHE_RECORD_BYTES + written);
    return record;
  }

  /** Flushes to disk and closes. */
  close(sync = true): void {
    try {
      if (sync) fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
  }
}

/** Reads records with positional reads on one file descriptor, opened on first use. */
export class RecordReader {
  private fd: number | undefined;
  private count = 0;

  constructor(readonly file: string) {}

  private open(): number {
    if (this.fd === undefined) {
      this.fd = fs.openSync(this.file, 'r');
      this.count = recordsIn(fs.fstatSync(this.fd).size);
    }
    return this.fd;
  }

  /** Records in the file (as it was when first read). */
  get records(): number {
    this.open();
    return this.count;
  }

  /** One [256, 256, 3] record, into `into` when given. */
  read(record: number, into?: Uint8Array): Uint8Array {
    return this.readMany([record], into);
  }

  /** Records back to back, [records.length, 256, 256, 3]; runs of consecutive records are read in one call. */
  readMany(records: readonly number[], into?: Uint8Array): Uint8Array {
    const fd = this.open();
    const bytes = records.length * CACHE_RECORD_BYTES;
    if (into && into.length < bytes) throw new Error(`A buffer of ${into.length} bytes cannot hold ${records.length} records; it needs ${bytes}.`);
    const out = into ?? new Uint8Array(bytes);
    for (const r of records) {
      if (!Number.isInteger(r) || r < 0 || r >= this.count) {
        throw new Error(`Record ${r} is not in the image cache '${this.file}', which holds records 0 to ${this.count - 1}.`);
      }
    }
    for (let i = 0; i < records.length; ) {
      let run = 1;
      while (i + run < records.length && records[i + run] === records[i]! + run) run++;
      const length = run * CACHE_RECORD_BYTES;
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, out, i * CACHE_RECORD_BYTES + done, length - done, records[i]! * CACHE_RECORD_BYTES + done);
        if (n === 0) throw new Error(`Image cache '${this.file}' ended inside record ${records[i]! + Math.floor(done / CACHE_RECORD_BYTES)}; import the folder again.`);
        done += n;
      }
      i += run;
    }
    return out;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Whether the records that no entry refers to (of removed or changed files) are more than half of the file. */
export function needsCompaction(totalRecords: number, liveRecords: ReadonlySet<number>): boolean {
  return totalRecords - liveRecords.size > totalRecords / 2;
}

/**
 * Copies the live records, in the order given, into a new cache file `temp` (fsynced) and returns the new index of
 * each old record. The caller renames `temp` into place together with the manifest that uses the new indices.
 */
export function writeCompactedCache(cacheFile: string, temp: string, records: readonly number[]): Map<number, number> {
  const reader = new RecordReader(cacheFile);
  const writer = RecordWriter.open(temp, false);
  const moved = new Map<number, number>();
  const buffer = new Uint8Array(CACHE_RECORD_BYTES);
  try {
    for (const r of records) {
      if (!moved.has(r)) moved.set(r, writer.append(reader.read(r, buffer)));
    }
    writer.close();
  } catch (error) {
    writer.close(false);
    fs.rmSync(temp, { force: true });
    throw error;
  } finally {
    reader.close();
  }
  return moved;
}

/** The files of a dataset folder: where each lives. */
export function datasetFiles(dir: string) {
  return { cache: path.join(dir, CACHE_FILE), mean: path.join(dir, MEAN_IMAGE_FILE), manifest: path.join(dir, MANIFEST_FILE) };
}
