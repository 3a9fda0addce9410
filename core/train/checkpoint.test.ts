// Checks that checkpoints round-trip exactly, are written atomically, and that damage is detected, not loaded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quickConfig } from '../model/config';
import { CheckpointError, checkpointFileName, readCheckpoint, writeCheckpoint, type CheckpointContents } from './checkpoint';
import { recipe } from './recipe';

function contents(): CheckpointContents {
  return {
    runId: 'run-test',
    config: quickConfig(4),
    recipe: recipe('small-data', 'quick'),
    seed: 42,
    position: { epoch: 2, stepInEpoch: 3, globalStep: 19 },
    schedule: { learningRate: 1e-4, bestError: 0.5, bestEpoch: 2, epochsWithoutImprovement: 0, drops: [{ epoch: 1, learningRate: 1e-4, reason: 'manual' }] },
    order: [3, 1, 2, 0],
    rng: { seed: 42, epoch: 2, globalStep: 19 },
    epochTotals: { loss: 12.5, correct1: 3, correct5: 9, images: 12, seconds: 1.5 },
    weights: new Map([
      ['conv1/a/kernel', Float32Array.from({ length: 37 }, (_, i) => Math.sin(i))],
      ['fc8/bias', Float32Array.from([1, -2, 3.5, Number.MIN_VALUE])],
    ]),
    optimizer: { name: 'adam', step: 19, slots: new Map([['conv1/a/kernel#m', Float32Array.from({ length: 37 }, (_, i) => i / 7)]]) },
  };
}

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-')), 'nested', checkpointFileName({ epoch: 2, stepInEpoch: 3, globalStep: 19 }));
}

describe('checkpoint', () => {
  it('round-trips every field and every value bit for bit', () => {
    const file = tempFile();
    const original = contents();
    const written = writeCheckpoint(file, original);
    expect(fs.statSync(file).size).toBe(written.bytes);
    const back = readCheckpoint(file);
    expect(back.position).toEqual(original.position);
    expect(back.schedule).toEqual(original.schedule);
    expect(back.order).toEqual(original.order);
    expect(back.config).toEqual(original.config);
    expect(back.recipe).toEqual(original.recipe);
    expect(back.epochTotals).toEqual(original.epochTotals);
    for (const [name, data] of original.weights) expect(Array.from(back.weights.get(name)!)).toEqual(Array.from(data));
    expect(Array.from(back.optimizer.slots.get('conv1/a/kernel#m')!)).toEqual(Array.from(original.optimizer.slots.get('conv1/a/kernel#m')!));
    expect(back.optimizer.step).toBe(19);
    // No temporary file is left behind.
    expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
  });

  it('detects a flipped byte in the weights by checksum', () => {
    const file = tempFile();
    writeCheckpoint(file, contents());
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 10]! ^= 0x40;
    fs.writeFileSync(file, bytes);
    expect(() => readCheckpoint(file)).toThrow(CheckpointError);
    expect(() => readCheckpoint(file)).toThrow(/corrupted: its checksum does not match/);
  });

  it('detects truncation and a file that is not a checkpoint, naming the file', () => {
    const file = tempFile();
    writeCheckpoint(file, contents());
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 4));
    expect(() => readCheckpoint(file)).toThrow(new RegExp(`'${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is truncated`));
    fs.writeFileSync(file, 'hello');
    expect(() => readCheckpoint(file)).toThrow(/not an AlexNet Workbench checkpoint/);
    expect(() => readCheckpoint(`${file}.missing`)).toThrow(/cannot be read/);
  });

  it('replaces an existing checkpoint atomically (the old one stays whole until the rename)', () => {
    const file = tempFile();
    writeCheckpoint(file, contents());
    const next = contents();
    next.position = { epoch: 3, stepInEpoch: 0, globalStep: 24 };
    writeCheckpoint(file, next);
    expect(readCheckpoint(file).position.globalStep).toBe(24);
  });
});
