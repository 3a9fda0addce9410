// Checks the convolution's gradients against TensorFlow.js' stock kernels and a float64 brute force, on many shapes.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { Rng } from '../random/rng';
import { conv2d, convBiasRelu, type Padding } from './conv-gradient';

interface Case {
  batch: number;
  size: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: Padding;
}

const cases: Case[] = [
  { batch: 1, size: 5, inChannels: 1, outChannels: 1, kernel: 1, stride: 1, pad: 'valid' },
  { batch: 2, size: 7, inChannels: 3, outChannels: 4, kernel: 3, stride: 1, pad: 'same' },
  { batch: 3, size: 9, inChannels: 5, outChannels: 2, kernel: 5, stride: 1, pad: 'same' },
  { batch: 2, size: 13, inChannels: 2, outChannels: 3, kernel: 3, stride: 2, pad: 'valid' },
  { batch: 2, size: 8, inChannels: 2, outChannels: 3, kernel: 3, stride: 2, pad: 'same' }, // padding 0 before, 1 after
  { batch: 1, size: 23, inChannels: 3, outChannels: 6, kernel: 11, stride: 4, pad: 'valid' },
  { batch: 2, size: 115, inChannels: 3, outChannels: 12, kernel: 11, stride: 4, pad: 'valid' }, // the quick preset's conv1
  { batch: 1, size: 27, inChannels: 7, outChannels: 5, kernel: 5, stride: 1, pad: 'same' }, // conv2's geometry
];

function random(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform() * 2 - 1), shape);
}

/** Float64 filter gradient by the definition. */
function bruteForceFilterGradient(x: Float32Array, dy: Float32Array, c: Case, out: number, top: number): number[] {
  const dw = new Array<number>(c.kernel * c.kernel * c.inChannels * c.outChannels).fill(0);
  for (let b = 0; b < c.batch; b++) for (let oy = 0; oy < out; oy++) for (let ox = 0; ox < out; ox++)
    for (let kh = 0; kh < c.kernel; kh++) for (let kw = 0; kw < c.kernel; kw++) {
      const y = oy * c.stride + kh - top;
      const xx = ox * c.stride + kw - top;
      if (y < 0 || y >= c.size || xx < 0 || xx >= c.size) continue;
      for (let ci = 0; ci < c.inChannels; ci++) for (let co = 0; co < c.outChannels; co++) {
        dw[((kh * c.kernel + kw) * c.inChannels + ci) * c.outChannels + co]! += x[((b * c.size + y) * c.size + xx) * c.inChannels + ci]! * dy[((b * out + oy) * out + ox) * c.outChannels + co]!;
      }
    }
  return dw;
}

/**
 * Tolerance: the gradients are float32 sums of up to a few thousand products of values in [-1, 1]; reordering such
 * sums changes them by about sqrt(terms) * 2^-24 * magnitude, far below 1e-4 of the largest entry.
 */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>): void {
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, max));
}

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`conv2d gradients on ${backend}`, () => {
    let available = true;
    afterAll(async () => {
      await selectBackend('cpu');
    });

    for (const c of cases) {
      it(`batch ${c.batch}, ${c.size}x${c.size}x${c.inChannels}, ${c.kernel}x${c.kernel}x${c.outChannels}, stride ${c.stride}, ${c.pad}`, async (context) => {
        try {
          await selectBackend(backend);
        } catch {
          available = false;
        }
        if (!available) return context.skip(`no ${backend} backend here`);
        const before = tf.memory().numTensors;
        const x = random([c.batch, c.size, c.size, c.inChannels], 1) as tf.Tensor4D;
        const w = random([c.kernel, c.kernel, c.inChannels, c.outChannels], 2) as tf.Tensor4D;
        const out = c.pad === 'same' ? Math.ceil(c.size / c.stride) : Math.floor((c.size - c.kernel) / c.stride) + 1;
        const dy = random([c.batch, out, out, c.outChannels], 3) as tf.Tensor4D;
        // Ours, through autodiff: d/dx and d/dw of sum(conv(x, w) * dy).
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)))([x, w]);
        // The stock kernels, called directly.
        const stockDw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: w.shape }) as tf.Tensor;
        const stockDx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: x.shape }) as tf.Tensor;
        expectClose(await dw!.data(), await stockDw.data());
        expectClose(await dx!.data(), await stockDx.data());
        const value = tf.conv2d(x, w, c.stride, c.pad);
        expectClose(await conv2d(x, w, c.stride, c.pad).data(), await value.data());
        if (c.size * c.size * c.batch < 2000) {
          const top = c.pad === 'same' ? Math.floor(Math.max((out - 1) * c.stride + c.kernel - c.size, 0) / 2) : 0;
          expectClose(await dw!.data(), bruteForceFilterGradient((await x.data()) as Float32Array, (await dy.data()) as Float32Array, c, out, top));
        }
        tf.dispose([x, w, dy, dx!, dw!, stockDw, stockDx, value]);
        expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1); // the conv output of the direct call above
      });
    }
  });
}

describe('conv2d refusals', () => {
  it('refuses a kernel that is not square, naming its size', async () => {
    await selectBackend('cpu');
    const [x, w] = [tf.zeros([1, 8, 8, 2]) as tf.Tensor4D, tf.zeros([3, 5, 2, 4]) as tf.Tensor4D];
    expect(() => conv2d(x, w, 1, 'same')).toThrow('Only square kernels are supported; got 3x5.');
    tf.dispose([x, w]);
  });
});

describe('convBiasRelu: the fused layer on WebGPU against the three ops on the CPU backend', () => {
  afterAll(async () => {
    await selectBackend('cpu');
  });
  const layers = [
    { name: "conv2's geometry, stride 1 'same'", x: [2, 9, 9, 6], kernel: 5, out: 7, stride: 1, pad: 'same', inputGradient: true },
    { name: "conv1's stride 4 (input gradient by the masked copy)", x: [1, 23, 23, 3], kernel: 11, out: 6, stride: 4, pad: 'valid', inputGradient: true },
    { name: 'no input gradient (conv1 in the model)', x: [1, 23, 23, 3], kernel: 11, out: 6, stride: 4, pad: 'valid', inputGradient: false },
  ] as const;
  it.for(layers)('$name', async (c, context) => {
    const gradients = async (backend: 'cpu' | 'webgpu') => {
      await selectBackend(backend);
      const x = random([...c.x], 4) as tf.Tensor4D;
      const w = tf.tidy(() => tf.mul(random([c.kernel, c.kernel, c.x[3], c.out], 5), 0.3)) as tf.Tensor4D;
      const b = tf.tidy(() => tf.mul(random([c.out], 6), 0.5));
      const before = tf.memory().numTensors;
      const y = convBiasRelu(x, w, b, c.stride, c.pad, c.inputGradient);
      const dy = random(y.shape, 7);
      const grads = tf.grads((a: tf.Tensor, f: tf.Tensor, bias: tf.Tensor) => tf.sum(tf.mul(convBiasRelu(a as tf.Tensor4D, f as tf.Tensor4D, bias, c.stride, c.pad, c.inputGradient), dy)))([x, w, b]);
      const out = await Promise.all([y, ...grads].map(async (t) => (await t.data()) as Float32Array));
      tf.dispose([x, w, b, y, dy, ...grads]);
      expect(tf.memory().numTensors, `tensors left on ${backend}`).toBe(before - 3);
      return out;
    };
    try {
      await selectBackend('webgpu');
    } catch (error) {
      return context.skip(`no WebGPU here: ${(error as Error).message}`);
    }
    const [gpu, cpu] = [await gradients('webgpu'), await gradients('cpu')];
    const [y, dx, dw, db] = cpu;
    expect(y!.some((v) => v === 0) && y!.some((v) => v > 0), 'the ReLU is active and inactive somewhere').toBe(true);
    if (!c.inputGradient) expect(gpu[1]!.every((v) => v === 0), 'no input gradient: zeros').toBe(true);
    for (const [i, want] of [y, c.inputGradient ? dx : undefined, dw, db].entries()) if (want) expectClose(gpu[i]!, want);
  });
});
