// A run's stored fc7 features: one checksummed binary file (JSON header, then float32 rows), written atomically.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

export interface FeatureStore {
  dimension: number;
  /** What each row belongs to (positions in the dataset's training entries). */
  records: number[];
  features: Float32Array;
}

export function writeFeatureStore(file: string, store: FeatureStore): void {
  const { dimension, records, features } = store;
  if (features.length !== records.length * dimension) throw new Error(`${features.length} feature values do not make ${records.length} rows of ${dimension}.`);
  const bytes = new Uint8Array(features.buffer, features.byteOffset, features.byteLength);
  const header = Buffer.from(JSON.stringify({ version: 1, dimension, count: records.length, records, sha256: createHash('sha256').update(bytes).digest('hex') }), 'utf8');
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(header.length, 0);
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, prefix);
    fs.writeSync(fd, header);
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

export function readFeatureStore(file: string): FeatureStore {
  const buffer = fs.readFileSync(file);
  const fail = (why: string) => new Error(`Feature file '${file}' is ${why}; recompute it with 'alexnet features <run>'.`);
  if (buffer.length < 4) throw fail('truncated');
  const headerLength = buffer.readUInt32LE(0);
  if (4 + headerLength > buffer.length) throw fail('truncated');
  let header: { version: number; dimension: number; count: number; records: number[]; sha256: string };
  try {
    header = JSON.parse(buffer.toString('utf8', 4, 4 + headerLength));
  } catch {
    throw fail('corrupted (bad header)');
  }
  const payload = buffer.subarray(4 + headerLength);
  if (payload.length !== header.count * header.dimension * 4) throw fail('truncated or padded');
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) throw fail('corrupted (checksum mismatch)');
  const features = new Float32Array(header.count * header.dimension);
  new Uint8Array(features.buffer).set(payload);
  return { dimension: header.dimension, records: header.records, features };
}
