// The WebGPU LRN kernels against a float64 computation of section 3.3's formula and its derivative written out here,
// and against TensorFlow.js's CPU backend, on random inputs: odd shapes, a window wider than the channels, radius 0,
// conv1's and conv2's shapes per tower, the paper's constants and constants under which the gradient's second term
// dominates. On lavapipe in CI; reported skipped only where no WebGPU adapter exists.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LRN } from '../model/config';
import { Rng } from '../random/rng';
import { webGpuUnderTest } from './webgpu-under-test';

interface Case {
  shape: [number, number, number, number];
  radius: number;
  bias: number;
  alpha: number;
  beta: number;
}

const PAPER = { radius: Math.floor(LRN.n / 2), bias: LRN.k, alpha: LRN.alpha, beta: LRN.beta };
const CASES: Case[] = [
  { shape: [1, 3, 5, 7], ...PAPER },
  { shape: [2, 55, 55, 48], ...PAPER }, // conv1, one tower
  { shape: [1, 27, 27, 128], ...PAPER }, // conv2, one tower
  { shape: [2, 4, 3, 3], radius: 5, bias: 1, alpha: 0.3, beta: 0.75 }, // a window wider than the channels
  { shape: [3, 2, 2, 9], radius: 0, bias: 0.5, alpha: 1, beta: 0.5 },
  { shape: [1, 5, 5, 11], radius: 2, bias: 1, alpha: 0.5, beta: 1.5 }, // the second term of the gradient dominates
];

/** Forward and input gradient in float64, from the formula. */
function reference(x: Float32Array, dy: Float32Array, { shape, radius, bias, alpha, beta }: Case): { y: Float64Array; dx: Float64Array } {
  const depth = shape[3];
  const y = new Float64Array(x.length);
  const s = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += depth) {
    for (let d = 0; d < depth; d++) {
      let sum = 0;
      for (let j = Math.max(0, d - radius); j <= Math.min(depth - 1, d + radius); j++) sum += x[base + j]! ** 2;
      s[base + d] = bias + alpha * sum;
      y[base + d] = x[base + d]! * s[base + d]! ** -beta;
    }
  }
  const dx = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += depth) {
    for (let i = 0; i < depth; i++) {
      // d y_j / d x_i = [i == j] s_j^-beta - 2 alpha beta x_j x_i s_j^(-beta - 1) for i in W(j).
      let g = dy[base + i]! * s[base + i]! ** -beta;
      for (let j = Math.max(0, i - radius); j <= Math.min(depth - 1, i + radius); j++) g -= 2 * alpha * beta * x[base + i]! * x[base + j]! * dy[base + j]! * s[base + j]! ** (-beta - 1);
      dx[base + i] = g;
    }
  }
  return { y, dx };
}

async function run(backend: 'webgpu' | 'cpu', x: Float32Array, dy: Float32Array, c: Case): Promise<{ y: Float32Array; dx: Float32Array }> {
  await tf.setBackend(backend);
  const xt = tf.tensor4d(x, c.shape);
  const dyt = tf.tensor4d(dy, c.shape);
  const f = (input: tf.Tensor4D) => tf.localResponseNormalization(input, c.radius, c.bias, c.alpha, c.beta);
  const y = f(xt);
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(f(input as tf.Tensor4D), dyt)))(xt);
  const out = { y: (await y.data()) as Float32Array, dx: (await dx.data()) as Float32Array };
  tf.dispose([xt, dyt, y, dx]);
  return out;
}

/** Largest difference relative to the reference's largest magnitude. */
function relative(got: Float32Array, want: Float64Array): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return worst / scale;
}

const webgpuMissing = webGpuUnderTest();

describe('LRN on WebGPU, one dispatch each way', () => {
  it.for(CASES)('matches the formula in float64 and the CPU backend: %o', async (c, context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    const rng = new Rng(c.shape.reduce((a, b) => a * b, 1), 'lrn');
    const size = c.shape.reduce((a, b) => a * b, 1);
    // Activations of the scale ReLU outputs have (0 to a few tens), some exactly 0.
    const x = Float32Array.from({ length: size }, () => Math.max(0, rng.normal(2, 8)));
    const dy = Float32Array.from({ length: size }, () => rng.normal(0, 1));
    const want = reference(x, dy, c);
    const gpu = await run('webgpu', x, dy, c);
    const cpu = await run('cpu', x, dy, c);
    expect(relative(gpu.y, want.y)).toBeLessThan(2e-6);
    expect(relative(gpu.dx, want.dx)).toBeLessThan(2e-5);
    // The CPU backend, an independent implementation, agrees as closely (a check of the reference itself).
    expect(relative(cpu.y, want.y)).toBeLessThan(2e-6);
    expect(relative(cpu.dx, want.dx)).toBeLessThan(2e-5);
  });

  it("replaces TensorFlow.js's own WebGPU kernels", async (context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    for (const name of ['LRN', 'LRNGrad']) expect(String(tf.getKernel(name, 'webgpu')?.kernelFunc.name)).toMatch(/^lrn(Grad)?$/);
  });
});
