// The WebGPU convolutions (implicit GEMMs on the engine's one matrix core) against TensorFlow.js's CPU backend, an
// independent implementation, and a float64 sum written out here, on random inputs: the paper's layer shapes per
// tower (conv1 at stride 4 with its long split reduction, conv2's 5x5 'same', conv3's both-tower input), batch 1,
// odd sizes that leave every tile ragged, more than 64 output channels, stride 2 with padding (the input gradient's
// stride test) and explicit padding. On lavapipe in CI; reported skipped only where no WebGPU adapter exists.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { BIAS_GRADIENT_RELU_KERNEL, CONV_BIAS_RELU_KERNEL, CONV_FILTER_GRADIENT_RELU_KERNEL, CONV_INPUT_GRADIENT_RELU_KERNEL } from './conv';
import { webGpuUnderTest } from './webgpu-under-test';

interface Case {
  name: string;
  x: [number, number, number, number];
  kernel: number;
  out: number;
  stride: number;
  pad: 'valid' | 'same' | number;
  /** Also against the CPU backend (its stock filter gradient takes half a minute at the paper's shapes). */
  cpu: boolean;
}

const CASES: Case[] = [
  { name: 'conv1, both towers', x: [1, 227, 227, 3], kernel: 11, out: 96, stride: 4, pad: 'valid', cpu: false },
  { name: 'conv2, one tower', x: [1, 27, 27, 48], kernel: 5, out: 128, stride: 1, pad: 'same', cpu: false },
  { name: 'conv3, both towers in', x: [1, 13, 13, 256], kernel: 3, out: 192, stride: 1, pad: 'same', cpu: false },
  { name: 'odd sizes, ragged tiles', x: [3, 7, 9, 5], kernel: 3, out: 7, stride: 1, pad: 'same', cpu: true },
  { name: 'a long split reduction over few tiles', x: [2, 30, 31, 3], kernel: 3, out: 10, stride: 1, pad: 'same', cpu: true },
  { name: 'stride 2, same, 65 outputs', x: [2, 10, 11, 3], kernel: 4, out: 65, stride: 2, pad: 'same', cpu: true },
  { name: 'stride 3, valid, batch 1', x: [1, 14, 13, 2], kernel: 5, out: 9, stride: 3, pad: 'valid', cpu: true },
  { name: 'explicit padding 1', x: [2, 6, 5, 4], kernel: 3, out: 6, stride: 1, pad: 1, cpu: true },
];

interface Result {
  y: Float32Array;
  fused: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

/** The gradients through the fused layer's ReLU, from the kernels that mask dy by its output as they load it. */
interface ReluGradients {
  dx?: Float32Array; // at stride 1 only
  dw: Float32Array;
  db: Float32Array;
}

async function reluGradients(c: Case, x: Float32Array, w: Float32Array, activation: Float32Array, dy: Float32Array): Promise<ReluGradients> {
  await tf.setBackend('webgpu');
  const filterShape: [number, number, number, number] = [c.kernel, c.kernel, c.x[3], c.out];
  const before = tf.memory().numTensors;
  const xt = tf.tensor4d(x, c.x);
  const wt = tf.tensor4d(w, filterShape);
  const outShape = tf.tidy(() => tf.conv2d(xt, wt, c.stride, c.pad).shape);
  const at = tf.tensor4d(activation, outShape);
  const dyt = tf.tensor4d(dy, outShape);
  const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
  const dw = tf.engine().runKernel(CONV_FILTER_GRADIENT_RELU_KERNEL, { x: xt, dy: dyt, activation: at }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const db = tf.engine().runKernel(BIAS_GRADIENT_RELU_KERNEL, { dy: dyt, activation: at }) as tf.Tensor;
  const dx = c.stride === 1 ? (tf.engine().runKernel(CONV_INPUT_GRADIENT_RELU_KERNEL, { dy: dyt, filter: wt, activation: at }, { ...attrs, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor) : undefined;
  const out = { dw: (await dw.data()) as Float32Array, db: (await db.data()) as Float32Array, ...(dx ? { dx: (await dx.data()) as Float32Array } : {}) };
  tf.dispose([xt, wt, at, dyt, dw, db, ...(dx ? [dx] : [])]);
  expect(tf.memory().numTensors, 'tensors left by the gradients through the ReLU').toBe(before); // split partials freed
  return out;
}

async function run(backend: 'webgpu' | 'cpu', c: Case, x: Float32Array, w: Float32Array, bias: Float32Array, dy: Float32Array): Promise<Result> {
  await tf.setBackend(backend);
  const [batch, height, width, channels] = c.x;
  const filterShape: [number, number, number, number] = [c.kernel, c.kernel, channels, c.out];
  const xt = tf.tensor4d(x, c.x);
  const wt = tf.tensor4d(w, filterShape);
  const bt = tf.tensor1d(bias);
  const y = tf.conv2d(xt, wt, c.stride, c.pad);
  const dyt = tf.tensor4d(dy, y.shape);
  const fused =
    backend === 'webgpu'
      ? (tf.engine().runKernel(CONV_BIAS_RELU_KERNEL, { x: xt, filter: wt, bias: bt }, { strides: c.stride, pad: c.pad } as unknown as tf.NamedAttrMap) as tf.Tensor)
      : tf.relu(tf.add(y, bt));
  const dx = tf.conv2dTranspose(dyt, wt, [batch, height, width, channels], c.stride, c.pad);
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const out = {
    y: (await y.data()) as Float32Array,
    fused: (await fused.data()) as Float32Array,
    dx: (await dx.data()) as Float32Array,
    dw: (await dw.data()) as Float32Array,
  };
  tf.dispose([xt, wt, bt, y, dyt, fused, dx, dw]);
  return out;
}

/** Padding before the first row and column, as TensorFlow computes it. */
function padBefore(c: Case, outH: number, outW: number): [number, number] {
  if (c.pad === 'valid') return [0, 0];
  if (typeof c.pad === 'number') return [c.pad, c.pad];
  const total = (out: number, size: number) => Math.max((out - 1) * c.stride + c.kernel - size, 0);
  return [Math.floor(total(outH, c.x[1]) / 2), Math.floor(total(outW, c.x[2]) / 2)];
}

/** Forward, filter gradient and input gradient in float64, by brute force over every output and tap. */
function reference(c: Case, x: Float32Array, w: Float32Array, dy: Float32Array, outH: number, outW: number): { y: Float64Array; dw: Float64Array; dx: Float64Array } {
  const [batch, height, width, channels] = c.x;
  const [top, left] = padBefore(c, outH, outW);
  const k = c.kernel;
  const y = new Float64Array(batch * outH * outW * c.out);
  const dw = new Float64Array(k * k * channels * c.out);
  const dx = new Float64Array(x.length);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++)
        for (let kh = 0; kh < k; kh++)
          for (let kw = 0; kw < k; kw++) {
            const iy = oy * c.stride + kh - top;
            const ix = ox * c.stride + kw - left;
            if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
            for (let ci = 0; ci < channels; ci++) {
              const xi = ((b * height + iy) * width + ix) * channels + ci;
              for (let co = 0; co < c.out; co++) {
                const yi = ((b * outH + oy) * outW + ox) * c.out + co;
                const wi = ((kh * k + kw) * channels + ci) * c.out + co;
                y[yi]! += x[xi]! * w[wi]!;
                dw[wi]! += x[xi]! * dy[yi]!;
                dx[xi]! += w[wi]! * dy[yi]!;
              }
            }
          }
  return { y, dw, dx };
}

/** Largest difference relative to the reference's largest magnitude. */
function relative(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return worst / scale;
}

const webgpuMissing = webGpuUnderTest();

describe('convolutions on WebGPU as implicit GEMMs', () => {
  it.for(CASES)('match float64 and the CPU backend: $name', async (c, context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    const rng = new Rng(c.x.reduce((a, b) => a * b, c.kernel), 'conv');
    const [, , , channels] = c.x;
    // Inputs as ReLU outputs are (some exactly 0), weights and gradients of either sign.
    const x = Float32Array.from({ length: c.x.reduce((a, b) => a * b, 1) }, () => Math.max(0, rng.normal(0.5, 1)));
    const w = Float32Array.from({ length: c.kernel * c.kernel * channels * c.out }, () => rng.normal(0, 0.1));
    const bias = Float32Array.from({ length: c.out }, () => rng.normal(0, 0.5));
    await tf.setBackend('cpu');
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([c.kernel, c.kernel, channels, c.out]) as tf.Tensor4D, c.stride, c.pad).shape);
    const [, outH, outW] = outShape;
    const dy = Float32Array.from({ length: outShape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, 1));
    const want = reference(c, x, w, dy, outH, outW);
    const gpu = await run('webgpu', c, x, w, bias, dy);
    // float32 sums of thousands of terms in another order than float64's: a few float32
    // epsilons of the largest value, the bound the CPU backend meets too.
    for (const [name, tolerance] of [['y', 1e-5], ['dx', 1e-5], ['dw', 2e-5]] as const) {
      expect(relative(gpu[name], want[name]), `${name} on WebGPU`).toBeLessThan(tolerance);
    }
    const fused = Float64Array.from(want.y, (v, i) => Math.max(0, v + bias[i % c.out]!));
    expect(relative(gpu.fused, fused), 'conv + bias + ReLU').toBeLessThan(1e-5);
    // Through the ReLU: dy where the layer's output (the GPU's own, so both sides mask the same entries) is positive.
    const masked = Float32Array.from(dy, (v, i) => (gpu.fused[i]! > 0 ? v : 0));
    expect(masked.some((v, i) => v === 0 && dy[i] !== 0), 'the mask drops some gradients').toBe(true);
    const wantRelu = reference(c, x, w, masked, outH, outW);
    const db = new Float64Array(c.out);
    masked.forEach((v, i) => (db[i % c.out]! += v));
    const relu = await reluGradients(c, x, w, gpu.fused, dy);
    expect(relative(relu.dw, wantRelu.dw), 'dw through the ReLU').toBeLessThan(2e-5);
    expect(relative(relu.db, db), 'bias gradient through the ReLU').toBeLessThan(1e-5);
    if (c.stride === 1) expect(relative(relu.dx!, wantRelu.dx), 'dx through the ReLU').toBeLessThan(1e-5);
    if (!c.cpu) return;
    const cpu = await run('cpu', c, x, w, bias, dy);
    for (const [name, tolerance] of [['y', 1e-5], ['dx', 1e-5], ['dw', 2e-5]] as const) {
      expect(relative(cpu[name], want[name]), `${name} on the CPU backend`).toBeLessThan(tolerance);
    }
  });

  it("replaces TensorFlow.js's own WebGPU convolutions", async (context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    for (const name of ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']) expect(String(tf.getKernel(name, 'webgpu')?.kernelFunc.name)).toMatch(/^conv2d/);
  });
});
