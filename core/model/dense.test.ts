// A fully connected layer as one op on WebGPU (its forward and its three gradients, through the ReLU and without
// one) against the ops it stands for on the CPU backend, an independent implementation.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { Rng } from '../random/rng';
import { dense } from './dense';

function random(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = new Rng(seed, 'dense');
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.uniform() * 2 - 1) * scale), shape);
}

describe('dense: the fused layer on WebGPU against the ops on the CPU backend', () => {
  afterAll(async () => {
    await selectBackend('cpu');
  });
  const layers = [
    { name: 'odd sizes, ReLU', batch: 5, in: 67, out: 33, relu: true },
    { name: 'a long input split over workgroups, ReLU', batch: 3, in: 4100, out: 20, relu: true },
    { name: "fc8's logits, no ReLU, split", batch: 4, in: 2100, out: 10, relu: false },
  ];
  it.for(layers)('$name', async (c, context) => {
    const gradients = async (backend: 'cpu' | 'webgpu') => {
      await selectBackend(backend);
      const x = random([c.batch, c.in], 1) as tf.Tensor2D;
      const w = random([c.in, c.out], 2, 2 / Math.sqrt(c.in)) as tf.Tensor2D;
      const b = random([c.out], 3, 0.5);
      const dy = random([c.batch, c.out], 4);
      const before = tf.memory().numTensors;
      const y = dense(x, w, b, c.relu);
      const grads = tf.grads((a: tf.Tensor, k: tf.Tensor, bias: tf.Tensor) => tf.sum(tf.mul(dense(a as tf.Tensor2D, k as tf.Tensor2D, bias, c.relu), dy)))([x, w, b]);
      const out = await Promise.all([y, ...grads].map(async (t) => (await t.data()) as Float32Array));
      tf.dispose([y, ...grads]);
      expect(tf.memory().numTensors, `tensors left on ${backend}`).toBe(before);
      tf.dispose([x, w, b, dy]);
      return out;
    };
    try {
      await selectBackend('webgpu');
    } catch (error) {
      return context.skip(`no WebGPU here: ${(error as Error).message}`);
    }
    const [gpu, cpu] = [await gradients('webgpu'), await gradients('cpu')];
    const [y] = cpu;
    if (c.relu) expect(y!.some((v) => v === 0) && y!.some((v) => v > 0), 'the ReLU is active and inactive somewhere').toBe(true);
    else expect(y!.some((v) => v < 0), 'no ReLU: negative logits stay').toBe(true);
    for (const [i, name] of ['y', 'dx', 'dW', 'db'].entries()) {
      const [got, want] = [gpu[i]!, cpu[i]!];
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = want.reduce((m, v, j) => Math.max(m, Math.abs(got[j]! - v)), 0);
      expect(got.length, name).toBe(want.length);
      expect(worst / scale, `${name}: largest difference over the largest magnitude`).toBeLessThan(1e-5);
    }
  });
});
