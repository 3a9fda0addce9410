// A run's stored fc7 features: one checksummed binary file (JSON header, then float32 rows), written atomically.
//
// Layout: a 4-byte little-endian header length L, L bytes of UTF-8 JSON (FeatureHeader), then count * dimension
// float32 values, little-endian, row by row. The header's sha256 covers the float data and recordsSha256 the records,
// so that any damaged byte is caught (the sizes and the JSON itself guard the rest).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { searchableFloats } from '../cpu/distances';

/** What the file holds. */
export interface FeatureStore {
  /** Values per row: 4096 for the paper's fc7. */
  dimension: number;
  /** What each row belongs to, one per row (positions in the dataset's training entries, or record indices). */
  records: number[];
  /** [records.length, dimension] row-major. As read, a view on a memory the CPU engine's search reads in place. */
  features: Float32Array;
}

const FORMAT = 'alexnet-workbench-features';
const VERSION = 2;

interface FeatureHeader {
  format: typeof FORMAT;
  version: number;
  dimension: number;
  count: number;
  records: number[];
  /** SHA-256 (hex) of the float32 data bytes. */
  sha256: string;
  /** SHA-256 (hex) of JSON.stringify(records). */
  recordsSha256: string;
}

/** Bytes read or written per system call, so that a large store never needs a second copy in memory. */
const IO_BYTES = 16 * 1024 * 1024;

const littleEndian = os.endianness() === 'LE';

/** The float data as little-endian bytes (a view on a little-endian machine, a swapped copy otherwise). */
function littleEndianBytes(features: Float32Array): Uint8Array {
  const view = new Uint8Array(features.buffer, features.byteOffset, features.byteLength);
  if (littleEndian) return view;
  const copy = Uint8Array.from(view);
  for (let i = 0; i < copy.length; i += 4) copy.subarray(i, i + 4).reverse();
  return copy;
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    done += fs.writeSync(fd, bytes, done, Math.min(IO_BYTES, bytes.length - done));
  }
}

/**
 * Writes the store to `file`, replacing it atomically: the data goes to a temporary file in the same folder, is
 * flushed to disk, and is renamed over `file`, so a crash leaves either the old file or the new one, never half.
 */
export function writeFeatureStore(file: string, store: FeatureStore): void {
  const { dimension, records, features } = store;
  if (!Number.isInteger(dimension) || dimension < 1) throw new Error(`Feature dimension ${dimension} is not allowed; use a whole number of at least 1.`);
  if (features.length !== records.length * dimension) {
    throw new Error(`${features.length} feature values do not make ${records.length} rows of ${dimension}; expected ${records.length * dimension}.`);
  }
  const bad = records.findIndex((r) => !Number.isSafeInteger(r));
  if (bad >= 0) throw new Error(`Record ${String(records[bad])} at row ${bad} is not a whole number.`);
  const bytes = littleEndianBytes(features);
  const header: FeatureHeader = {
    format: FORMAT,
    version: VERSION,
    dimension,
    count: records.length,
    records,
    sha256: sha256(bytes),
    recordsSha256: sha256(JSON.stringify(records)),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(json.length, 0);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(temp, 'wx');
    try {
      writeAll(fd, prefix);
      writeAll(fd, json);
      writeAll(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  syncFolder(path.dirname(file));
}

/** Makes the rename itself durable. Some platforms (Windows) cannot open a folder for fsync; there it is skipped. */
function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = fs.openSync(folder, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // EISDIR/EPERM on platforms without directory fsync: the rename is still atomic, only its durability is the OS's.
  } finally {
    fs.closeSync(fd);
  }
}

function readExactly(fd: number, target: Uint8Array, position: number): number {
  let done = 0;
  while (done < target.length) {
    const n = fs.readSync(fd, target, done, Math.min(IO_BYTES, target.length - done), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Checks the parsed header's fields and their agreement; returns what is wrong, or undefined. */
function headerProblem(header: unknown): string | undefined {
  if (typeof header !== 'object' || header === null) return 'its header is not a JSON object';
  const h = header as Partial<FeatureHeader>;
  if (h.format !== FORMAT) return `its header names format ${JSON.stringify(h.format)}, not '${FORMAT}'`;
  if (h.version !== VERSION) return `it has format version ${String(h.version)}; this version of the app reads version ${VERSION}`;
  if (!Number.isInteger(h.dimension) || h.dimension! < 1) return `its dimension ${String(h.dimension)} is not a positive whole number`;
  if (!Number.isInteger(h.count) || h.count! < 0) return `its count ${String(h.count)} is not a whole number`;
  if (!Array.isArray(h.records) || !h.records.every((r) => Number.isSafeInteger(r))) return 'its records are not a list of whole numbers';
  if (h.records.length !== h.count) return `it lists ${h.records.length} records for a count of ${h.count}`;
  if (typeof h.sha256 !== 'string' || typeof h.recordsSha256 !== 'string') return 'its header lacks the checksums';
  if (sha256(JSON.stringify(h.records)) !== h.recordsSha256) return 'its records do not match their checksum';
  return undefined;
}

/**
 * Reads a store written by writeFeatureStore, checking the header, the sizes and both checksums. A truncated, padded
 * or damaged file throws an error that names the file and says how to recompute it.
 */
export function readFeatureStore(file: string): FeatureStore {
  const fail = (what: string) => new Error(`Feature file '${file}' ${what}; recompute it with 'alexnet features <run>'.`);
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const prefix = Buffer.alloc(4);
    if (readExactly(fd, prefix, 0) < 4) throw fail(`is truncated (${size} bytes, too short for a header)`);
    const headerLength = prefix.readUInt32LE(0);
    if (4 + headerLength > size) throw fail(`is truncated (its header claims ${headerLength} bytes, but the file has ${size})`);
    const json = Buffer.alloc(headerLength);
    readExactly(fd, json, 4);
    let header: unknown;
    try {
      header = JSON.parse(json.toString('utf8'));
    } catch {
      throw fail('is corrupted (its header is not valid JSON)');
    }
    const problem = headerProblem(header);
    if (problem) throw fail(`is corrupted (${problem})`);
    const { dimension, count, records, sha256: expected } = header as FeatureHeader;
    const dataBytes = count * dimension * 4;
    const actual = size - 4 - headerLength;
    if (actual < dataBytes) throw fail(`is truncated (${actual} bytes of features, expected ${dataBytes} for ${count} rows of ${dimension})`);
    if (actual > dataBytes) throw fail(`is corrupted (${actual} bytes of features, expected ${dataBytes} for ${count} rows of ${dimension})`);
    const features = searchableFloats(count, dimension);
    const bytes = new Uint8Array(features.buffer, features.byteOffset, features.byteLength);
    const hash = createHash('sha256');
    for (let done = 0; done < dataBytes; ) {
      const part = bytes.subarray(done, Math.min(dataBytes, done + IO_BYTES));
      if (readExactly(fd, part, 4 + headerLength + done) < part.length) throw fail('is truncated (it shrank while being read)');
      hash.update(part);
      done += part.length;
    }
    if (hash.digest('hex') !== expected) throw fail('is corrupted (its features do not match their checksum)');
    if (!littleEndian) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
    return { dimension, records, features };
  } finally {
    fs.closeSync(fd);
  }
}
