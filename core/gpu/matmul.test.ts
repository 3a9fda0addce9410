// The WebGPU matrix products of the fully connected layers (the engine's one GEMM core) against a float64 sum
// written out here and TensorFlow.js's CPU backend, on random inputs: fc6's 9,216 inputs at batch 2 (a long
// reduction over few tiles, split, with the bias and ReLU applied after the split sums), odd sizes that leave every
// tile ragged in all four transpose combinations, batch 1, fc8's narrow output. On lavapipe in CI; reported skipped
// only where no WebGPU adapter exists.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { chooseKPerSplit } from './gemm';
import { MATMUL_BIAS_KERNEL, MATMUL_RELU_KERNEL } from './matmul';
import { webGpuUnderTest } from './webgpu-under-test';

interface Case {
  name: string;
  /** x [batch, in] times W [in, out]. */
  batch: number;
  in: number;
  out: number;
  /** Also against the CPU backend. */
  cpu: boolean;
}

const CASES: Case[] = [
  { name: "fc6's 9,216 inputs at batch 2", batch: 2, in: 9216, out: 200, cpu: false },
  { name: 'odd sizes, ragged tiles', batch: 37, in: 53, out: 45, cpu: true },
  { name: 'a long reduction over one tile', batch: 3, in: 5000, out: 5, cpu: true },
  { name: 'batch 1', batch: 1, in: 100, out: 130, cpu: true },
  { name: "fc8's ten classes", batch: 70, in: 129, out: 10, cpu: true },
];

/** a [m, k] b [k, n] in float64, a and b given row-major in their stored (possibly transposed) layouts. */
function product(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let l = 0; l < k; l++) {
      const av = a[transposeA ? l * m + i : i * k + l]!;
      if (av === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j]! += av * b[transposeB ? j * k + l : l * n + j]!;
    }
  return c;
}

function transpose(values: ArrayLike<number>, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c]!;
  return out;
}

/** The first element differing by more than `tolerance` times the reference's largest magnitude, as one line. */
function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): string | undefined {
  if (got.length !== want.length) return `${got.length} values, expected ${want.length}`;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tolerance * scale)) return `element ${i}: ${got[i]} where ${want[i]} was expected (scale ${scale})`;
  }
  return undefined;
}

const webgpuMissing = webGpuUnderTest();

describe('matrix products on WebGPU on the GEMM core', () => {
  it.for(CASES)('match float64 and the CPU backend: $name', async (c, context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    const rng = new Rng(c.batch * c.in + c.out, 'matmul');
    // Inputs as ReLU outputs are (some exactly 0), weights and gradients of either sign.
    const x = Float32Array.from({ length: c.batch * c.in }, () => Math.max(0, rng.normal(0.3, 1)));
    const w = Float32Array.from({ length: c.in * c.out }, () => rng.normal(0, 0.05));
    const bias = Float32Array.from({ length: c.out }, () => rng.normal(0, 0.5));
    const dy = Float32Array.from({ length: c.batch * c.out }, () => rng.normal(0, 1));
    const want = product(x, w, c.batch, c.in, c.out, false, false);
    const wantFused = Float64Array.from(want, (v, i) => Math.max(0, v + bias[i % c.out]!));

    await tf.setBackend('webgpu');
    const before = tf.memory().numTensors;
    const [xt, wt, bt, dyt] = [tf.tensor2d(x, [c.batch, c.in]), tf.tensor2d(w, [c.in, c.out]), tf.tensor1d(bias), tf.tensor2d(dy, [c.batch, c.out])];
    const biased = tf.engine().runKernel(MATMUL_BIAS_KERNEL, { a: xt, b: wt, bias: bt }, { relu: false }) as tf.Tensor2D;
    expect(firstMismatch((await biased.data()) as Float32Array, Float64Array.from(want, (v, i) => v + bias[i % c.out]!), 1e-5), 'x W + b').toBeUndefined();
    const fused = tf.engine().runKernel(MATMUL_BIAS_KERNEL, { a: xt, b: wt, bias: bt }, { relu: true }) as tf.Tensor2D;
    const y = (await fused.data()) as Float32Array;
    // float32 sums of up to 9,216 terms in another order than float64's: a few float32 epsilons of the largest value.
    expect(firstMismatch(y, wantFused, 1e-5), 'relu(x W + b)').toBeUndefined();
    expect(wantFused.some((v) => v === 0) && wantFused.some((v) => v > 0), 'the ReLU cuts some outputs and keeps others').toBe(true);

    // Every transpose combination of the plain product, each operand stored as its flag says.
    const xT = transpose(x, c.batch, c.in);
    const wT = transpose(w, c.in, c.out);
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = tf.tensor2d(transposeA ? xT : x, transposeA ? [c.in, c.batch] : [c.batch, c.in]);
      const b = tf.tensor2d(transposeB ? wT : w, transposeB ? [c.out, c.in] : [c.in, c.out]);
      const got = tf.matMul(a, b, transposeA, transposeB);
      expect(got.shape).toEqual([c.batch, c.out]);
      expect(firstMismatch((await got.data()) as Float32Array, want, 1e-5), `x W, transposeA ${transposeA}, transposeB ${transposeB}`).toBeUndefined();
      tf.dispose([a, b, got]);
    }

    // The gradients' products through the ReLU, masked by the layer's output (the GPU's own, so both sides mask alike).
    const masked = Float32Array.from(dy, (v, i) => (y[i]! > 0 ? v : 0));
    const dx = tf.engine().runKernel(MATMUL_RELU_KERNEL, { a: dyt, b: wt, activation: fused }, { transposeB: true, masked: 'a' }) as tf.Tensor;
    const dw = tf.engine().runKernel(MATMUL_RELU_KERNEL, { a: xt, b: dyt, activation: fused }, { transposeA: true, masked: 'b' }) as tf.Tensor;
    expect(dx.shape).toEqual([c.batch, c.in]);
    expect(dw.shape).toEqual([c.in, c.out]);
    expect(firstMismatch((await dx.data()) as Float32Array, product(masked, w, c.batch, c.out, c.in, false, true), 1e-5), 'mask(dy) W^T').toBeUndefined();
    expect(firstMismatch((await dw.data()) as Float32Array, product(x, masked, c.in, c.batch, c.out, true, false), 1e-5), 'x^T mask(dy)').toBeUndefined();
    tf.dispose([xt, wt, bt, dyt, biased, fused, dx, dw]);
    expect(tf.memory().numTensors, 'tensors left by the products (split partials freed)').toBe(before);

    if (!c.cpu) return;
    await tf.setBackend('cpu');
    const cpu = tf.tidy(() => tf.matMul(tf.tensor2d(x, [c.batch, c.in]), tf.tensor2d(w, [c.in, c.out])).dataSync());
    expect(firstMismatch(cpu, want, 1e-5), 'x W on the CPU backend').toBeUndefined();
  });

  it('splits the long reductions it is tested on', () => {
    // The split path (partial sums, then the bias and ReLU in the sum) is what the fc6 and long-k cases exercise.
    expect(chooseKPerSplit(2, 200, 9216)).toBeLessThan(9216);
    expect(chooseKPerSplit(3, 5, 5000)).toBeLessThan(5000);
    expect(chooseKPerSplit(37, 45, 53)).toBeGreaterThanOrEqual(53);
  });

  it('leaves a batch of products to the stock kernel, with its answers', async (context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    const rng = new Rng(7, 'batched');
    const a = Float32Array.from({ length: 2 * 3 * 4 }, () => rng.normal(0, 1));
    const b = Float32Array.from({ length: 2 * 4 * 5 }, () => rng.normal(0, 1));
    await tf.setBackend('webgpu');
    const [at, bt] = [tf.tensor3d(a, [2, 3, 4]), tf.tensor3d(b, [2, 4, 5])];
    const product3d = tf.matMul(at, bt);
    const got = (await product3d.data()) as Float32Array;
    tf.dispose([at, bt, product3d]);
    for (let batch = 0; batch < 2; batch++) {
      const want = product(a.subarray(batch * 12, batch * 12 + 12), b.subarray(batch * 20, batch * 20 + 20), 3, 4, 5, false, false);
      expect(firstMismatch(got.subarray(batch * 15, batch * 15 + 15), want, 1e-5), `product ${batch}`).toBeUndefined();
    }
    expect(String(tf.getKernel('BatchMatMul', 'webgpu')?.kernelFunc.name)).toBe('batchMatMul');
  });

  it('refuses a product whose inner sizes differ, naming both shapes', async (context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    await tf.setBackend('webgpu');
    const [a, b, bias] = [tf.zeros([2, 3]), tf.zeros([4, 5]), tf.zeros([5])];
    expect(() => tf.engine().runKernel(MATMUL_BIAS_KERNEL, { a, b, bias })).toThrow(/\[2,3\] and b \[4,5\]/);
    tf.dispose([a, b, bias]);
  });
});
