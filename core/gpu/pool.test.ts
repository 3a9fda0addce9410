// The WebGPU max pooling (forward with its record of positions, and the gradient from it) against a brute-force
// float64 computation written out here and TensorFlow.js's CPU backend, through the model's own op (core/model/pool.ts):
// the paper's three poolings at their exact shapes, non-overlapping and stride-1 windows on odd sizes, a window as
// large as the input, inputs full of ties (ReLU zeros and repeated values, where the first maximum must win) and NaN.
// Max pooling only selects, so the results must be exact. On lavapipe in CI; skipped only where no WebGPU adapter exists.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { maxPool } from '../model/pool';
import { Rng } from '../random/rng';
import { webGpuUnderTest } from './webgpu-under-test';

interface Case {
  name: string;
  shape: [number, number, number, number];
  window: number;
  stride: number;
  /** How the input is drawn. */
  values: 'relu' | 'ties' | 'nan';
}

const CASES: Case[] = [
  { name: 'pool1 (both towers side by side)', shape: [2, 55, 55, 96], window: 3, stride: 2, values: 'relu' },
  { name: 'pool2, one tower', shape: [1, 27, 27, 128], window: 3, stride: 2, values: 'relu' },
  { name: 'pool5, one tower', shape: [3, 13, 13, 128], window: 3, stride: 2, values: 'relu' },
  { name: 'non-overlapping on odd sides', shape: [3, 7, 9, 5], window: 2, stride: 2, values: 'relu' },
  { name: 'stride 1', shape: [1, 6, 5, 4], window: 3, stride: 1, values: 'relu' },
  { name: 'window as large as the input', shape: [2, 3, 3, 2], window: 3, stride: 2, values: 'relu' },
  { name: 'stride larger than the window', shape: [2, 11, 10, 3], window: 2, stride: 3, values: 'relu' },
  { name: 'ties everywhere', shape: [2, 15, 15, 7], window: 3, stride: 2, values: 'ties' },
  { name: 'NaN among the values', shape: [1, 9, 9, 3], window: 3, stride: 2, values: 'nan' },
];

/** y and dx = d sum(y * dy) / dx by brute force: every window scanned in row-major order, the first maximum wins. */
function reference(x: Float32Array, dy: Float32Array, { shape: [batch, height, width, channels], window, stride }: Case) {
  const outH = Math.floor((height - window) / stride) + 1;
  const outW = Math.floor((width - window) / stride) + 1;
  const y = new Float64Array(batch * outH * outW * channels);
  const dx = new Float64Array(x.length);
  const at = (b: number, r: number, c: number, d: number) => ((b * height + r) * width + c) * channels + d;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let d = 0; d < channels; d++) {
          let best = -1;
          for (let r = oy * stride; r < oy * stride + window; r++) {
            for (let c = ox * stride; c < ox * stride + window; c++) {
              const v = x[at(b, r, c, d)]!;
              if (!Number.isNaN(v) && (best < 0 || v > x[best]!)) best = at(b, r, c, d);
            }
          }
          const o = ((b * outH + oy) * outW + ox) * channels + d;
          y[o] = best < 0 ? NaN : x[best]!;
          if (best >= 0) dx[best]! += dy[o]!;
        }
      }
    }
  }
  return { y, dx };
}

/** 'none', or the first index where `got` differs from `want` by more than `tolerance` relative to 1 + |want| (NaN equals NaN), so a failure reports in one line and not as a diff of a whole tensor. */
function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): string {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    const same = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= tolerance * (1 + Math.abs(w));
    if (!same) return `element ${i}: ${g}, expected ${w}`;
  }
  return 'none';
}

async function run(backend: 'webgpu' | 'cpu', x: Float32Array, dy: Float32Array, c: Case) {
  await selectBackend(backend);
  const before = tf.memory().numTensors;
  const xt = tf.tensor4d(x, c.shape);
  const f = (input: tf.Tensor) => maxPool(input as tf.Tensor4D, c.window, c.stride);
  const y = f(xt);
  const dyt = tf.tensor(dy, y.shape);
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(f(input), dyt)))(xt);
  const out = { y: (await y.data()) as Float32Array, dx: (await dx.data()) as Float32Array, shape: y.shape };
  tf.dispose([xt, dyt, y, dx]);
  expect(tf.memory().numTensors).toBe(before); // the record of positions goes with the gradient
  return out;
}

const webgpuMissing = webGpuUnderTest();

describe('max pooling on WebGPU from a record of positions', () => {
  it.for(CASES)('is exact against brute force and the CPU backend: $name', async (c, context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    const size = c.shape.reduce((a, b) => a * b, 1);
    const rng = new Rng(size, 'pool');
    const x = Float32Array.from({ length: size }, () => {
      if (c.values === 'ties') return Math.floor(rng.uniform() * 3); // 0, 1 or 2: most windows tie
      if (c.values === 'nan' && rng.uniform() < 0.2) return NaN;
      return Math.max(0, rng.normal(0.5, 1)); // ReLU outputs: about a third exactly 0
    });
    const outSize = (Math.floor((c.shape[1] - c.window) / c.stride) + 1) * (Math.floor((c.shape[2] - c.window) / c.stride) + 1) * c.shape[0] * c.shape[3];
    const dy = Float32Array.from({ length: outSize }, () => rng.normal(0, 1));
    const want = reference(x, dy, c);
    const gpu = await run('webgpu', x, dy, c);
    expect(firstMismatch(gpu.y, want.y, 0)).toBe('none');
    // Sums of at most four dy values per pixel, in the windows' order here and possibly another there.
    expect(firstMismatch(gpu.dx, want.dx, 1e-6)).toBe('none');
    if (c.values !== 'nan') {
      // The CPU backend, independent of both, agrees (its pooling gives NaN windows another value, so not there).
      const cpu = await run('cpu', x, dy, c);
      expect(cpu.shape).toEqual(gpu.shape);
      expect(firstMismatch(cpu.y, want.y, 0)).toBe('none');
      expect(firstMismatch(cpu.dx, want.dx, 1e-6)).toBe('none');
    }
  });

  it('refuses a window larger than the input, naming both', async (context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    await selectBackend('webgpu');
    const x = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    expect(() => maxPool(x, 3, 2)).toThrow(/3x3 pooling window does not fit a 2-pixel side/);
    x.dispose();
  });
});
