// Every parameter's gradient of the whole network on WebGPU agrees with the CPU backend (an independent implementation).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../core/backend/backend';
import { AlexNet } from '../core/model/alexnet';
import { quickConfig } from '../core/model/config';
import { Rng } from '../core/random/rng';

async function gradients(backend: 'cpu' | 'webgpu'): Promise<Map<string, Float32Array>> {
  await selectBackend(backend);
  const config = quickConfig(5);
  const model = AlexNet.create(config, 'he-normal', 3);
  const rng = new Rng(9);
  const input = Float32Array.from({ length: 2 * 115 * 115 * 3 }, () => rng.uniform() - 0.5);
  const masks = model.dropoutMasks(2, new Rng(10))!;
  const x = tf.tensor4d(input, [2, 115, 115, 3]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 3], 'int32'), 5));
  const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(model.forward(x, { dropoutMasks: masks }))), 1))) as tf.Scalar, model.variables());
  const out = new Map<string, Float32Array>();
  // By variable: fc6 and fc7 are held in tower halves.
  const variables = model.variables();
  for (const [i, piece] of model.pieces.entries()) out.set(piece.name, (await grads[variables[i]!.name]!.data()) as Float32Array);
  tf.dispose([x, y, value, ...masks, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('whole-network gradients, WebGPU against the CPU backend', () => {
  it('agree for every parameter of the quick model', async (context) => {
    const cpu = await gradients('cpu');
    // Skipped only where no WebGPU adapter can be had; a failure of the computation itself fails the test.
    const adapter = await selectBackend('webgpu').then(
      () => undefined,
      (error: Error) => error.message,
    );
    if (adapter !== undefined) {
      await selectBackend('cpu');
      return context.skip(`no WebGPU here: ${adapter}`);
    }
    let gpu: Map<string, Float32Array>;
    try {
      gpu = await gradients('webgpu');
    } finally {
      await selectBackend('cpu');
    }
    expect([...gpu.keys()]).toEqual([...cpu.keys()]);
    for (const [name, want] of cpu) {
      const got = gpu.get(name)!;
      // float32 on two backends with different summation orders: within 1e-3 of the layer's largest gradient.
      const scale = Math.max(...want.map(Math.abs), 1e-12);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / scale);
      expect(worst, name).toBeLessThan(1e-3);
    }
  });
});
