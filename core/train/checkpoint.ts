// Checkpoints: weights, optimizer state, schedule, position and data order in one checksummed, atomically written file.
//
// Layout: 8-byte magic 'ANWCKPT1', uint32 little-endian header length, the JSON header, then float32 little-endian
// tensors back to back. The header carries the SHA-256 of the tensor bytes, so a torn or corrupted file is detected.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { faultPoint } from '../fault-points';
import type { ModelConfig } from '../model/config';
import type { OptimizerState } from './optimizer';
import type { Recipe } from './recipe';
import type { ScheduleState } from './schedule';

const MAGIC = 'ANWCKPT1';

export interface CheckpointPosition {
  /** Epochs fully done (0-based index of the epoch being trained is `epoch`). */
  epoch: number;
  /** Steps done within `epoch`; 0 at an epoch boundary. */
  stepInEpoch: number;
  /** Steps done since the start of the run. */
  globalStep: number;
}

export interface CheckpointContents {
  runId: string;
  config: ModelConfig;
  recipe: Recipe;
  seed: number;
  position: CheckpointPosition;
  schedule: ScheduleState;
  /** Training-set order of the epoch in progress (indices into the training entries). */
  order: number[];
  /**
   * Where the randomness stands. Every draw is derived from (seed, purpose, epoch, image or step), so this
   * position is the whole state: resuming at it replays exactly the draws an uninterrupted run makes.
   */
  rng: { seed: number; epoch: number; globalStep: number };
  /** Running sums of the epoch in progress, so the epoch's training metrics survive a mid-epoch stop. */
  epochTotals: { loss: number; correct1: number; correct5: number; images: number; seconds: number };
  weights: Map<string, Float32Array>;
  optimizer: OptimizerState;
}

interface TensorEntry {
  name: string;
  length: number;
}

interface Header extends Omit<CheckpointContents, 'weights' | 'optimizer'> {
  version: 1;
  optimizer: { name: OptimizerState['name']; step: number };
  weights: TensorEntry[];
  slots: TensorEntry[];
  payloadBytes: number;
  sha256: string;
}

/** Writes a checkpoint atomically: a temp file in the same folder, fsync, rename, fsync of the folder. */
export function writeCheckpoint(file: string, contents: CheckpointContents): { bytes: number; sha256: string } {
  const tensors: Float32Array[] = [];
  const entries = (map: Map<string, Float32Array>) =>
    [...map.entries()].map(([name, data]) => {
      tensors.push(data);
      return { name, length: data.length };
    });
  const weights = entries(contents.weights);
  const slots = entries(contents.optimizer.slots);
  const payloadBytes = tensors.reduce((n, t) => n + t.byteLength, 0);
  const hash = createHash('sha256');
  for (const t of tensors) hash.update(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  const sha256 = hash.digest('hex');
  const header: Header = {
    version: 1,
    runId: contents.runId,
    config: contents.config,
    recipe: contents.recipe,
    seed: contents.seed,
    position: contents.position,
    schedule: contents.schedule,
    order: contents.order,
    rng: contents.rng,
    epochTotals: contents.epochTotals,
    optimizer: { name: contents.optimizer.name, step: contents.optimizer.step },
    weights,
    slots,
    payloadBytes,
    sha256,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(headerBytes.length, 8);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, prefix);
    fs.writeSync(fd, headerBytes);
    for (const t of tensors) fs.writeSync(fd, new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    // A write through a descriptor fails without naming its file (ENOSPC, EIO): name the checkpoint's.
    const failure = error as NodeJS.ErrnoException;
    if (typeof failure.code === 'string' && failure.path === undefined) failure.path = file;
    throw error;
  }
  fs.closeSync(fd);
  faultPoint('checkpoint:temp-written');
  fs.renameSync(temp, file);
  faultPoint('checkpoint:renamed');
  syncDirectory(path.dirname(file));
  return { bytes: prefix.length + headerBytes.length + payloadBytes, sha256 };
}

function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch {
    // Some file systems (and Windows) cannot fsync a directory; the rename is still atomic there.
  }
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Reads and verifies a checkpoint; a truncated or corrupted file throws a CheckpointError naming it. */
export function readCheckpoint(file: string): CheckpointContents {
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(file);
  } catch (error) {
    throw new CheckpointError(`Checkpoint '${file}' cannot be read: ${(error as Error).message}`);
  }
  if (buffer.length < 12 || buffer.toString('ascii', 0, 8) !== MAGIC) {
    throw new CheckpointError(`Checkpoint '${file}' is not an AlexNet Workbench checkpoint (bad magic bytes).`);
  }
  const headerLength = buffer.readUInt32LE(8);
  if (12 + headerLength > buffer.length) throw new CheckpointError(`Checkpoint '${file}' is truncated (header).`);
  let header: Header;
  try {
    header = JSON.parse(buffer.toString('utf8', 12, 12 + headerLength)) as Header;
  } catch {
    throw new CheckpointError(`Checkpoint '${file}' has a corrupted header.`);
  }
  if (header.version !== 1) throw new CheckpointError(`Checkpoint '${file}' has version ${header.version}; this app reads version 1.`);
  const start = 12 + headerLength;
  if (buffer.length !== start + header.payloadBytes) {
    throw new CheckpointError(`Checkpoint '${file}' is truncated or padded: ${buffer.length - start} payload bytes, expected ${header.payloadBytes}.`);
  }
  const payload = buffer.subarray(start);
  const sha256 = createHash('sha256').update(payload).digest('hex');
  if (sha256 !== header.sha256) throw new CheckpointError(`Checkpoint '${file}' is corrupted: its checksum does not match.`);
  // Copy into an aligned buffer: Float32Array views need 4-byte alignment.
  const floats = new Float32Array(payload.length / 4);
  new Uint8Array(floats.buffer).set(payload);
  let offset = 0;
  const take = (entries: TensorEntry[]) => {
    const map = new Map<string, Float32Array>();
    for (const e of entries) {
      map.set(e.name, floats.subarray(offset, offset + e.length));
      offset += e.length;
    }
    return map;
  };
  const weights = take(header.weights);
  const slots = take(header.slots);
  return {
    runId: header.runId,
    config: header.config,
    recipe: header.recipe,
    seed: header.seed,
    position: header.position,
    schedule: header.schedule,
    order: header.order,
    rng: header.rng,
    epochTotals: header.epochTotals,
    weights,
    optimizer: { name: header.optimizer.name, step: header.optimizer.step, slots },
  };
}

/** A checkpoint's position and checksum from its header alone (undefined when the header cannot be read). */
export function readCheckpointHeader(file: string): { runId: string; position: CheckpointPosition; sha256: string; bytes: number } | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const prefix = Buffer.alloc(12);
      if (fs.readSync(fd, prefix, 0, 12, 0) !== 12 || prefix.toString('ascii', 0, 8) !== MAGIC) return undefined;
      const headerBytes = Buffer.alloc(prefix.readUInt32LE(8));
      fs.readSync(fd, headerBytes, 0, headerBytes.length, 12);
      const header = JSON.parse(headerBytes.toString('utf8')) as Header;
      return { runId: header.runId, position: header.position, sha256: header.sha256, bytes: fs.fstatSync(fd).size };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Verifies a checkpoint without loading its tensors (the file is read in chunks): undefined when it is whole, else
 * what is wrong with it, in words naming the file.
 */
export function checkpointProblem(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const prefix = Buffer.alloc(12);
    if (size < 12 || fs.readSync(fd, prefix, 0, 12, 0) !== 12 || prefix.toString('ascii', 0, 8) !== MAGIC) return `Checkpoint '${file}' is not an AlexNet Workbench checkpoint (bad magic bytes).`;
    const headerLength = prefix.readUInt32LE(8);
    if (12 + headerLength > size) return `Checkpoint '${file}' is truncated (header).`;
    const headerBytes = Buffer.alloc(headerLength);
    fs.readSync(fd, headerBytes, 0, headerLength, 12);
    let header: Header;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as Header;
    } catch {
      return `Checkpoint '${file}' has a corrupted header.`;
    }
    const start = 12 + headerLength;
    if (size !== start + header.payloadBytes) return `Checkpoint '${file}' is truncated or padded: ${size - start} payload bytes, expected ${header.payloadBytes}.`;
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    for (let at = start; at < size; ) {
      const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
      if (n === 0) return `Checkpoint '${file}' ended early.`;
      hash.update(chunk.subarray(0, n));
      at += n;
    }
    return hash.digest('hex') === header.sha256 ? undefined : `Checkpoint '${file}' is corrupted: its checksum does not match.`;
  } catch (error) {
    return `Checkpoint '${file}' cannot be read: ${(error as Error).message}`;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** File name of a checkpoint, sortable by position. */
export function checkpointFileName(position: CheckpointPosition): string {
  return `epoch-${String(position.epoch).padStart(4, '0')}-step-${String(position.globalStep).padStart(8, '0')}.ckpt`;
}
