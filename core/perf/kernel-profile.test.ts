// The per-kernel profile of a training step: the calls it counts against the architecture's own count of layers, on
// the CPU backend and on WebGPU (timed there by timestamp queries), and the summing and formatting of its rows.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { CONV_BIAS_RELU_KERNEL } from '../gpu/conv';
import { MATMUL_BIAS_KERNEL } from '../gpu/matmul';
import { webGpuUnderTest } from '../gpu/webgpu-under-test';
import { AlexNet } from '../model/alexnet';
import { quickConfig } from '../model/config';
import { Rng } from '../random/rng';
import { createOptimizer } from '../train/optimizer';
import { recipe } from '../train/recipe';
import { byKernel, formatProfile, profileStep, UPDATE_ROW } from './kernel-profile';

const webGpuMissing = webGpuUnderTest();

describe('byKernel', () => {
  it('sums calls and times by name, largest first, counting a record without a time as 0 ms', () => {
    const rows = byKernel([
      { name: 'Relu', kernelTimeMs: 1 },
      { name: 'Conv2D', kernelTimeMs: 2 },
      { name: 'Relu', kernelTimeMs: 2.5 },
      { name: 'Add', kernelTimeMs: { error: 'no timer' } },
      { name: 'Sum', kernelTimeMs: Number.NaN },
    ]);
    expect(rows).toEqual([
      { name: 'Relu', calls: 2, ms: 3.5 },
      { name: 'Conv2D', calls: 1, ms: 2 },
      { name: 'Add', calls: 1, ms: 0 },
      { name: 'Sum', calls: 1, ms: 0 },
    ]);
  });

  it('formats each row with its share of the step, and says so when nothing was timed', () => {
    const lines = formatProfile({ kernels: [{ name: 'Conv2D', calls: 9, ms: 3 }, { name: UPDATE_ROW, calls: 1, ms: 1 }], totalMs: 4, timed: true });
    expect(lines).toEqual([
      'kernel            calls        ms   share',
      'Conv2D                9     3.000   75.0 %',
      'optimizer update      1     1.000   25.0 %',
      'total                10     4.000  100.0 %',
    ]);
    expect(formatProfile({ kernels: [{ name: 'Conv2D', calls: 9, ms: 0 }], totalMs: 0, timed: false })[0]).toMatch(/kernel times unavailable/);
  });
});

/** One profiled training step of a narrow quick-preset model at batch 2. */
async function profileQuickStep() {
  const config = { ...quickConfig(3), fcWidths: [32, 32] as [number, number] };
  const model = AlexNet.create(config, 'kaiming-uniform', 1);
  const optimizer = createOptimizer(recipe('paper', 'quick').optimizer, model.variables());
  const x = tf.randomNormal([2, config.cropSize, config.cropSize, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
  const masks = model.dropoutMasks(2, new Rng(3))!;
  const before = tf.memory().numTensors;
  try {
    const profile = await profileStep(
      () => tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(model.forward(x, { dropoutMasks: masks }))), 1))) as tf.Scalar, model.variables()),
      (grads) => optimizer.apply(grads, 0.01),
    );
    // Only what the step made to keep: SGD's momentum, one slot per variable, made on its first update.
    expect(tf.memory().numTensors, 'the profiled step keeps no other tensor').toBe(before + model.variables().length);
    return profile;
  } finally {
    tf.dispose([x, labels, ...masks]);
    optimizer.dispose();
    model.dispose();
  }
}

// Forward convolutions of the two-tower model: conv1 once for both towers (they see the same image), conv2 to conv5
// once per tower.
const FORWARD_CONVOLUTIONS = 1 + 4 * 2;

describe('profileStep', () => {
  it('counts every forward convolution and the update on the CPU backend, with times that add up', async () => {
    await selectBackend('cpu');
    const profile = await profileQuickStep();
    const calls = new Map(profile.kernels.map((k) => [k.name, k.calls]));
    expect(calls.get('Conv2D')).toBe(FORWARD_CONVOLUTIONS);
    expect(calls.get(UPDATE_ROW)).toBe(1);
    expect(profile.timed).toBe(true);
    expect(profile.totalMs).toBeCloseTo(profile.kernels.reduce((sum, k) => sum + k.ms, 0), 9);
    expect(profile.kernels.map((k) => k.ms)).toEqual([...profile.kernels.map((k) => k.ms)].sort((a, b) => b - a));
  });

  it("times the model's own WebGPU kernels on the GPU", async (context) => {
    const missing = webGpuMissing();
    if (missing) return context.skip(`no WebGPU here: ${missing}`);
    await selectBackend('webgpu');
    const profile = await profileQuickStep();
    const rows = new Map(profile.kernels.map((k) => [k.name, k]));
    expect(rows.get(CONV_BIAS_RELU_KERNEL)?.calls).toBe(FORWARD_CONVOLUTIONS);
    expect(rows.has('Conv2D')).toBe(false);
    // fc6, fc7 in tower halves (two each) and fc8 whole, with bias (and ReLU) in the product.
    expect(rows.get(MATMUL_BIAS_KERNEL)?.calls).toBe(5);
    const timestamps = (tf.backend() as unknown as { device: GPUDevice }).device.features.has('timestamp-query');
    expect(profile.timed).toBe(timestamps);
    if (timestamps) expect(rows.get(CONV_BIAS_RELU_KERNEL)!.ms).toBeGreaterThan(0);
    await selectBackend('cpu');
  });
});
