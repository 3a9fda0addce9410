// The CPU engine end to end on the demo photographs: the whole network's gradients against TensorFlow.js' JavaScript
// backend (an independent implementation), training that follows the JavaScript backend's loss curve within seed
// noise, and a 500-step run on two threads whose tensors and WebAssembly memories do not grow.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../core/backend/backend';
import { cpuEngineMemory, startCpuEngine } from '../core/cpu/engine';
import { importDataset } from '../core/dataset/import';
import type { Dataset } from '../core/dataset/dataset';
import { AlexNet } from '../core/model/alexnet';
import { quickConfig, type ModelConfig } from '../core/model/config';
import { Rng } from '../core/random/rng';
import type { TrainEvent } from '../core/train/events';
import { recipe, type Recipe } from '../core/train/recipe';
import { Trainer } from '../core/train/trainer';
import { DEMO } from './fixtures';

let dataset: Dataset;
let home: string;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-cpu-engine-'));
  dataset = await importDataset(DEMO, path.join(home, 'datasets'));
});

afterAll(async () => {
  dataset?.close();
  await selectBackend('cpu');
});

/** Every parameter's gradient of one training step of the quick model on the backend in use. */
async function gradients(): Promise<Map<string, Float32Array>> {
  const config = quickConfig(6);
  const model = AlexNet.create(config, 'he-normal', 3);
  const rng = new Rng(9);
  const batch = 3;
  const x = tf.tensor4d(Float32Array.from({ length: batch * 115 * 115 * 3 }, () => rng.uniform() - 0.5), [batch, 115, 115, 3]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 3, 5], 'int32'), 6));
  const masks = model.dropoutMasks(batch, new Rng(10))!;
  const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(model.forward(x, { dropoutMasks: masks }))), 1))) as tf.Scalar, model.variables());
  const out = new Map<string, Float32Array>();
  // By variable: fc6 and fc7 are held in tower halves.
  const variables = model.variables();
  for (const [i, piece] of model.pieces.entries()) out.set(piece.name, (await grads[variables[i]!.name]!.data()) as Float32Array);
  tf.dispose([x, y, value, ...masks, ...Object.values(grads)]);
  model.dispose();
  return out;
}

/**
 * The quick preset's topology at a third of its width, so that the JavaScript backend trains 200 steps of batch 2 in
 * about fifteen seconds; its products are still large enough for the thread pool.
 */
const NARROW = (): ModelConfig => ({ ...quickConfig(dataset.labels.length), convWidths: [8, 16, 16, 16, 16], fcWidths: [64, 64] });

describe('the CPU engine end to end', () => {
  it("gives the whole network's gradients of TensorFlow.js' JavaScript backend, on two threads", async () => {
    await selectBackend('cpu');
    const reference = await gradients();
    await startCpuEngine(2);
    const ours = await gradients();
    expect([...ours.keys()]).toEqual([...reference.keys()]);
    for (const [name, want] of reference) {
      const got = ours.get(name)!;
      // float32 with other summation orders: within 1e-4 of the layer's largest gradient.
      const scale = Math.max(...Array.from(want, Math.abs));
      expect(scale).toBeGreaterThan(0);
      const worst = Math.max(...Array.from(want, (w, i) => Math.abs(w - got[i]!)));
      expect(worst, name).toBeLessThanOrEqual(1e-4 * scale);
    }
  });

  /** The training loss of a run of `steps` steps on the demo photos, averaged over windows of `window` steps. */
  async function lossCurve(config: ModelConfig, training: Recipe, seed: number, steps: number, window: number): Promise<number[]> {
    const losses: number[] = [];
    const trainer = Trainer.create({
      runId: `curve-${seed}-${tf.getBackend()}`,
      dataset,
      config,
      recipe: training,
      seed,
      runDir: fs.mkdtempSync(path.join(home, 'run-')),
      maxSteps: steps,
      onEvent: (e: TrainEvent) => {
        if (e.type === 'step') losses.push(e.loss);
      },
    });
    try {
      const result = await trainer.run();
      expect(result.position.globalStep).toBe(steps);
    } finally {
      trainer.dispose();
    }
    return Array.from({ length: steps / window }, (_, w) => losses.slice(w * window, (w + 1) * window).reduce((a, b) => a + b, 0) / window);
  }

  it("follows the JavaScript backend's loss curve over 200 steps of the demo photos, within seed noise", async () => {
    const config = NARROW();
    // Batch 2: 120 steps an epoch, so that one evaluation falls in the 200 steps.
    const training: Recipe = { ...recipe('small-data', 'quick'), batchSize: 2, epochs: 100, patience: 100 };
    const [steps, window] = [200, 20];
    await selectBackend('cpu');
    const javascript = await lossCurve(config, training, 1, steps, window);
    await startCpuEngine(1);
    const curves = [await lossCurve(config, training, 1, steps, window), await lossCurve(config, training, 2, steps, window), await lossCurve(config, training, 3, steps, window)];
    const gap = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;
    // Same seed on both backends: no further apart than runs of the same backend with other seeds are.
    const noise = Math.min(gap(curves[1]!, curves[0]!), gap(curves[2]!, curves[0]!));
    expect(gap(javascript, curves[0]!)).toBeLessThanOrEqual(noise);
    // In fact ten times closer: float32 rounding in other orders has grown into a difference of 0.005 by the end
    // (measured; both backends are deterministic), where other seeds are 0.047 apart.
    expect(gap(javascript, curves[0]!)).toBeLessThanOrEqual(0.01);
    // And both learn (ln 6 = 1.79 at chance; this narrow model learns slowly: 1.90 to 1.67 in the windows measured).
    for (const curve of [javascript, curves[0]!]) expect(curve.at(-1)!).toBeLessThan(0.95 * curve[0]!);
  });

  it('runs 500 steps on two threads without a tensor or a byte of WebAssembly memory more at the end', async () => {
    await startCpuEngine(2);
    const samples: { step: number; tensors: number; heap: number; pool: number }[] = [];
    const trainer = Trainer.create({
      runId: 'soak',
      dataset,
      config: NARROW(),
      recipe: { ...recipe('small-data', 'quick'), batchSize: 4, epochs: 100, patience: 100 },
      seed: 4,
      runDir: fs.mkdtempSync(path.join(home, 'run-')),
      maxSteps: 500,
      onEvent: (e: TrainEvent) => {
        if (e.type === 'step' && e.globalStep % 25 === 0) {
          const memory = cpuEngineMemory()!;
          samples.push({ step: e.globalStep, tensors: tf.memory().numTensors, heap: memory.heapBytes, pool: memory.poolBytes });
        }
      },
    });
    try {
      await trainer.run();
    } finally {
      trainer.dispose();
    }
    expect(samples.at(-1)!.step).toBe(500);
    expect(samples.at(-1)!.pool).toBeGreaterThan(0); // the pool was used
    // After the first epoch (its evaluation allocates once), every sample equals the last.
    const settled = samples.filter((s) => s.step >= 100);
    for (const s of settled) expect({ ...s, step: 0 }).toEqual({ ...samples.at(-1)!, step: 0 });
  });
});
