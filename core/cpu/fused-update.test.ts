// Checks that the CPU engine's one-pass optimizer updates give the same bits as the tensor formulation, and that a
// parameter whose data another tensor shares is never rewritten in place.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { createOptimizer, type OptimizerSettings } from '../train/optimizer';
import { Rng } from '../random/rng';
import { fusedUpdates } from './fused-update';

const SETTINGS: OptimizerSettings = { name: 'sgd', momentum: 0.9, weightDecay: 0.0005, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal(0, 1));
}

function owned(data: Float32Array): tf.Variable {
  const initial = tf.tensor1d(data);
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}

/** Five steps of `name` on two parameters (one of 1003 values, not a multiple of the SIMD width); returns them. */
async function train(name: 'sgd' | 'adam', shareData: boolean): Promise<{ weights: Float32Array[]; slots: Float32Array[]; shared: Float32Array[]; snapshots: Float32Array[] }> {
  const variables = [owned(values(1003, 1)), owned(values(16, 2))];
  const views: tf.Tensor[] = [];
  const snapshots: Float32Array[] = [];
  const optimizer = createOptimizer({ ...SETTINGS, name }, variables);
  for (let step = 0; step < 5; step++) {
    // A reshaped view shares a variable's data (or a slot's): the update must then leave that data alone.
    if (shareData) {
      const state = await optimizer.state(variables.map((_, i) => `p${i}`));
      for (const v of [...variables, ...((optimizer as unknown as { slots: Map<string, tf.Variable> }).slots.values())]) {
        views.push(tf.reshape(v, [-1])); // a view: the same data
        snapshots.push((await v.data()) as Float32Array);
      }
      expect(state.step).toBe(step);
    }
    const gradients = Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor1d(values(v.size, 10 + 3 * step + i))]));
    optimizer.apply(gradients, step < 3 ? 0.01 : 0.001);
    tf.dispose(Object.values(gradients));
  }
  const state = await optimizer.state(variables.map((_, i) => `p${i}`));
  const result = {
    weights: await Promise.all(variables.map(async (v) => (await v.data()) as Float32Array)),
    slots: [...state.slots.values()],
    shared: await Promise.all(views.map(async (c) => (await c.data()) as Float32Array)),
    snapshots,
  };
  optimizer.dispose();
  tf.dispose([...variables, ...views]);
  return result;
}

describe('one-pass optimizer updates on the CPU engine', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await selectBackend('cpu');
  });

  it('are offered on the CPU engine only', async () => {
    expect(fusedUpdates()).toBeDefined();
    await selectBackend('cpu');
    expect(fusedUpdates()).toBeUndefined();
    await selectBackend('wasm');
  });

  for (const name of ['sgd', 'adam'] as const) {
    it(`${name}: in place, the same bits as the tensor operations, and nothing shared is changed`, async () => {
      const fused = await train(name, false);
      const tensors = await train(name, true); // every parameter and slot shared at every step: the tensor path
      fused.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(tensors.weights[i]!)));
      fused.slots.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(tensors.slots[i]!)));
      // Every view still holds what its variable held when it was made.
      expect(tensors.shared.length).toBeGreaterThan(0);
      tensors.shared.forEach((c, i) => expect(Array.from(c)).toEqual(Array.from(tensors.snapshots[i]!)));
      // And the updates did something.
      expect(Array.from(fused.weights[0]!)).not.toEqual(Array.from(values(1003, 1)));
    });
  }
});
