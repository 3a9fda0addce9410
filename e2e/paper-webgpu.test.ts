// The paper's model trained on WebGPU where one storage buffer may hold only 128 MiB (Mesa's lavapipe here; many
// browsers' defaults): fc6's kernel is 144 MiB whole, so the model holds fc6 and fc7 in tower halves, as the paper's
// two GPUs did. Two steps of the paper's SGD from the same weights, batch and dropout masks, against the CPU engine
// (an independent implementation): the same losses, and the same update of every parameter, both towers' halves.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { bufferLimitBytes, selectBackend } from '../core/backend/backend';
import { AlexNet } from '../core/model/alexnet';
import { checkBufferLimit } from '../core/model/buffers';
import { paperConfig } from '../core/model/config';
import { Rng } from '../core/random/rng';
import { createOptimizer } from '../core/train/optimizer';
import { recipe } from '../core/train/recipe';
import { trainStep } from '../core/train/step';

const CONFIG = paperConfig(10);
const BATCH = 2;
const STEPS = 2;

async function train(backend: 'webgpu' | 'wasm', initial: Map<string, Float32Array>): Promise<{ losses: number[]; after: Map<string, Float32Array> }> {
  await selectBackend(backend);
  const model = new AlexNet(CONFIG, initial);
  const settings = recipe('paper', 'paper');
  const optimizer = createOptimizer(settings.optimizer, model.variables());
  const rng = new Rng(21, 'batch');
  const input = Float32Array.from({ length: BATCH * 227 * 227 * 3 }, () => rng.normal(0, 50));
  const labels = Int32Array.from([3, 8]);
  const losses: number[] = [];
  try {
    for (let step = 0; step < STEPS; step++) {
      const masks = model.dropoutMasks(BATCH, new Rng(21, 'dropout', step));
      losses.push((await trainStep(model, optimizer, { input, labels, masks }, settings.learningRate)).loss);
    }
    return { losses, after: await model.values() };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

describe("the paper's model on a 128 MiB WebGPU adapter", () => {
  it('trains with fc6 and fc7 in tower halves, step for step as the CPU engine does', async (context) => {
    const adapter = await selectBackend('webgpu').then(
      () => undefined,
      (error: Error) => error.message,
    );
    if (adapter !== undefined) {
      await selectBackend('wasm');
      return context.skip(`no WebGPU here: ${adapter}`);
    }
    const limit = bufferLimitBytes()!;
    // Where the adapter allows more, the test still holds; on lavapipe it is the case the split exists for.
    if (limit < 9216 * 4096 * 4) console.log(`paper-webgpu: ${limit / 2 ** 20} MiB per buffer, below fc6's whole ${(9216 * 4096 * 4) / 2 ** 20} MiB`);
    expect(() => checkBufferLimit(CONFIG, BATCH, limit)).not.toThrow();
    await selectBackend('wasm');
    const model = AlexNet.create(CONFIG, 'paper', 5);
    const initial = await model.values();
    model.dispose();
    const started = performance.now();
    const gpu = await train('webgpu', initial);
    const gpuSeconds = (performance.now() - started) / 1000;
    const cpu = await train('wasm', initial);
    console.log(`paper-webgpu: losses ${gpu.losses.map((l) => l.toFixed(6)).join(', ')} (CPU engine ${cpu.losses.map((l) => l.toFixed(6)).join(', ')}), ${gpuSeconds.toFixed(1)} s on WebGPU`);
    expect(tf.memory().numTensors).toBe(0);
    for (let i = 0; i < STEPS; i++) {
      expect(Number.isFinite(gpu.losses[i]!)).toBe(true);
      expect(Math.abs(gpu.losses[i]! - cpu.losses[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.losses[i]!)));
    }
    // Every parameter moved as on the CPU: the update (after - before) agrees within 1 % of its largest value (two steps
    // of float32 sums in other orders: 0.13 % measured at worst, conv1; a half swapped or left out is off by 100 %).
    for (const [name, before] of initial) {
      const g = gpu.after.get(name)!;
      const c = cpu.after.get(name)!;
      let largest = 0;
      let worst = 0;
      for (let i = 0; i < before.length; i++) {
        const dc = c[i]! - before[i]!;
        largest = Math.max(largest, Math.abs(dc));
        worst = Math.max(worst, Math.abs(g[i]! - before[i]! - dc));
      }
      expect(largest, `${name} moved`).toBeGreaterThan(0);
      expect(worst, name).toBeLessThanOrEqual(1e-2 * largest + 1e-7);
    }
    // Both towers' halves of fc6 moved (the second half's columns are the second tower's neurons).
    const fc6 = (m: Map<string, Float32Array>) => m.get('fc6/kernel')!;
    const moved = (from: number, to: number) => {
      let n = 0;
      for (let r = 0; r < 9216; r += 97) for (let col = from; col < to; col++) if (fc6(gpu.after)[r * 4096 + col] !== fc6(initial)[r * 4096 + col]) n++;
      return n;
    };
    expect(moved(0, 2048)).toBeGreaterThan(0);
    expect(moved(2048, 4096)).toBeGreaterThan(0);
  });
});
