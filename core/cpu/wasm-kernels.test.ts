// Checks every kernel of the CPU engine against float64 brute force by the definitions, values and gradients, on
// many shapes (stride 4 with 11x11 kernels, odd sizes, padding, channels that fill no SIMD vector), on one thread and
// on the thread pool.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { Rng } from '../random/rng';
import { startCpuEngine } from './engine';
import { setPoolPolicy } from './wasm-kernels';

interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: 'valid' | 'same';
}

const CONV_CASES: ConvCase[] = [
  { batch: 1, height: 5, width: 5, inChannels: 1, outChannels: 1, kernel: 1, stride: 1, pad: 'valid' },
  { batch: 2, height: 7, width: 6, inChannels: 3, outChannels: 4, kernel: 3, stride: 1, pad: 'same' },
  { batch: 3, height: 9, width: 11, inChannels: 5, outChannels: 9, kernel: 5, stride: 1, pad: 'same' },
  { batch: 2, height: 13, width: 12, inChannels: 2, outChannels: 3, kernel: 3, stride: 2, pad: 'valid' },
  { batch: 2, height: 10, width: 9, inChannels: 6, outChannels: 7, kernel: 3, stride: 2, pad: 'same' },
  { batch: 1, height: 23, width: 25, inChannels: 3, outChannels: 6, kernel: 11, stride: 4, pad: 'valid' },
  { batch: 2, height: 27, width: 27, inChannels: 3, outChannels: 10, kernel: 11, stride: 4, pad: 'same' },
  { batch: 2, height: 115, width: 115, inChannels: 3, outChannels: 24, kernel: 11, stride: 4, pad: 'valid' }, // the quick preset's conv1
  { batch: 1, height: 27, width: 27, inChannels: 7, outChannels: 5, kernel: 5, stride: 1, pad: 'same' }, // conv2's geometry
  { batch: 3, height: 6, width: 6, inChannels: 33, outChannels: 17, kernel: 3, stride: 1, pad: 'same' }, // conv3-5's, odd widths
];

function random(shape: number[], seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.uniform() * 2 - 1) * scale);
}

function outputSize(size: number, c: ConvCase): number {
  return c.pad === 'same' ? Math.ceil(size / c.stride) : Math.floor((size - c.kernel) / c.stride) + 1;
}

function padBefore(size: number, out: number, c: ConvCase): number {
  return c.pad === 'same' ? Math.floor(Math.max((out - 1) * c.stride + c.kernel - size, 0) / 2) : 0;
}

/** y, dx and dw of a convolution with output gradient dy, in float64, by the definition (TensorFlow's padding). */
function bruteForceConv(c: ConvCase, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const oh = outputSize(c.height, c);
  const ow = outputSize(c.width, c);
  const top = padBefore(c.height, oh, c);
  const left = padBefore(c.width, ow, c);
  const y = new Float64Array(c.batch * oh * ow * c.outChannels);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < c.batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let kh = 0; kh < c.kernel; kh++)
          for (let kw = 0; kw < c.kernel; kw++) {
            const iy = oy * c.stride + kh - top;
            const ix = ox * c.stride + kw - left;
            if (iy < 0 || iy >= c.height || ix < 0 || ix >= c.width) continue;
            for (let ci = 0; ci < c.inChannels; ci++) {
              const xi = ((b * c.height + iy) * c.width + ix) * c.inChannels + ci;
              for (let co = 0; co < c.outChannels; co++) {
                const yi = ((b * oh + oy) * ow + ox) * c.outChannels + co;
                const wi = ((kh * c.kernel + kw) * c.inChannels + ci) * c.outChannels + co;
                y[yi]! += x[xi]! * w[wi]!;
                dx[xi]! += dy[yi]! * w[wi]!;
                dw[wi]! += x[xi]! * dy[yi]!;
              }
            }
          }
  return { y, dx, dw, shape: [c.batch, oh, ow, c.outChannels] };
}

/**
 * Float32 sums of up to a few thousand products of values in [-1, 1], in another order than the float64 reference:
 * within 1e-5 of the largest magnitude (rounding is about sqrt(terms) 2^-24 of it). A wrong index or a missed term
 * is off by a whole product.
 */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, relative = 1e-5): void {
  expect(got.length).toBe(want.length);
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i]!));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst).toBeLessThanOrEqual(relative * Math.max(1, max));
}

function lrnReference(x: Float32Array, channels: number, radius: number, bias: number, alpha: number, beta: number) {
  const sums = new Float64Array(x.length);
  for (let p = 0; p < x.length / channels; p++)
    for (let i = 0; i < channels; i++) {
      let s = 0;
      for (let j = Math.max(0, i - radius); j <= Math.min(channels - 1, i + radius); j++) s += x[p * channels + j]! ** 2;
      sums[p * channels + i] = bias + alpha * s;
    }
  return { y: Array.from(x, (v, i) => v / sums[i]! ** beta), sums };
}

/** d/dx of sum(LRN(x) * dy), in float64 from the formula: dy_i s_i^-b - 2 a b x_i sum_j dy_j x_j s_j^(-b-1). */
function lrnGradientReference(x: Float32Array, dy: Float32Array, channels: number, radius: number, bias: number, alpha: number, beta: number): number[] {
  const { sums } = lrnReference(x, channels, radius, bias, alpha, beta);
  return Array.from(x, (v, index) => {
    const p = Math.floor(index / channels);
    const i = index % channels;
    let cross = 0;
    for (let j = Math.max(0, i - radius); j <= Math.min(channels - 1, i + radius); j++) {
      const k = p * channels + j;
      cross += dy[k]! * x[k]! * sums[k]! ** (-beta - 1);
    }
    return dy[index]! * sums[index]! ** -beta - 2 * alpha * beta * v * cross;
  });
}

for (const threads of [1, 2]) {
  describe(`the CPU engine's kernels on ${threads} thread${threads > 1 ? 's (every kernel on the pool)' : ''}`, () => {
    beforeAll(async () => {
      const started = await startCpuEngine(threads);
      expect(started.threads).toBe(threads);
      setPoolPolicy('always');
    });
    afterAll(async () => {
      setPoolPolicy('auto');
      await selectBackend('cpu');
    });

    for (const c of CONV_CASES) {
      it(`conv2d and its gradients: batch ${c.batch}, ${c.height}x${c.width}x${c.inChannels}, ${c.kernel}x${c.kernel}x${c.outChannels}, stride ${c.stride}, ${c.pad}`, async () => {
        const before = tf.memory().numTensors;
        const xs = random([c.batch, c.height, c.width, c.inChannels], 1);
        const ws = random([c.kernel, c.kernel, c.inChannels, c.outChannels], 2);
        const want = bruteForceConv(c, xs, ws, random([c.batch, outputSize(c.height, c), outputSize(c.width, c), c.outChannels], 3));
        const dys = random(want.shape, 3);
        const [y, dx, dw] = tf.tidy(() => {
          const x = tf.tensor4d(xs, [c.batch, c.height, c.width, c.inChannels]);
          const w = tf.tensor4d(ws, [c.kernel, c.kernel, c.inChannels, c.outChannels]);
          const dy = tf.tensor4d(dys, want.shape as [number, number, number, number]);
          const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)))([x, w]);
          return [tf.conv2d(x, w, c.stride, c.pad), gx!, gw!];
        });
        expect(y!.shape).toEqual(want.shape);
        expectClose(await y!.data(), want.y);
        expectClose(await dx!.data(), want.dx);
        expectClose(await dw!.data(), want.dw);
        tf.dispose([y!, dx!, dw!]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    for (const [m, n, k, transposeA, transposeB] of [
      [1, 1, 1, false, false],
      [5, 7, 9, false, false],
      [37, 70, 19, true, false],
      [8, 300, 100, false, true], // fc's input gradient at a small batch: computed as its transpose
      [70, 9, 33, true, true],
      [16, 256, 256, false, false],
      [257, 13, 600, false, true], // several K blocks and an N edge
      [3, 517, 40, true, false], // columns of C split across threads
    ] as const) {
      it(`matMul ${m}x${k} by ${k}x${n}${transposeA ? ', A transposed' : ''}${transposeB ? ', B transposed' : ''}`, async () => {
        const a = random(transposeA ? [k, m] : [m, k], 4);
        const b = random(transposeB ? [n, k] : [k, n], 5);
        const want = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++)
            for (let p = 0; p < k; p++) want[i * n + j]! += a[transposeA ? p * m + i : i * k + p]! * b[transposeB ? j * k + p : p * n + j]!;
        const got = tf.tidy(() => tf.matMul(tf.tensor2d(a, transposeA ? [k, m] : [m, k]), tf.tensor2d(b, transposeB ? [n, k] : [k, n]), transposeA, transposeB));
        expect(got.shape).toEqual([m, n]);
        expectClose(await got.data(), want);
        got.dispose();
      });
    }

    it('matMul broadcasts a batch of one against a batch of three', async () => {
      const a = random([1, 4, 6], 6);
      const b = random([3, 6, 5], 7);
      const got = tf.tidy(() => tf.matMul(tf.tensor3d(a, [1, 4, 6]), tf.tensor3d(b, [3, 6, 5])));
      expect(got.shape).toEqual([3, 4, 5]);
      const want = new Float64Array(60);
      for (let t = 0; t < 3; t++) for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) for (let p = 0; p < 6; p++) want[(t * 4 + i) * 5 + j]! += a[i * 6 + p]! * b[(t * 6 + p) * 5 + j]!;
      expectClose(await got.data(), want);
      got.dispose();
    });

    for (const [channels, radius] of [
      [1, 2],
      [5, 2],
      [13, 2],
      [48, 2],
      [9, 1],
      [7, 3],
    ] as const) {
      it(`LRN and its gradient, ${channels} channels, depth radius ${radius}`, async () => {
        // Values of tens, as after a ReLU on raw pixels, so that alpha * sum is comparable to the bias.
        const xs = random([2, 3, 5, channels], 8, 40);
        const dys = random([2, 3, 5, channels], 9);
        const [bias, alpha, beta] = [2, 1e-3, 0.75];
        const [y, dx] = tf.tidy(() => {
          const x = tf.tensor4d(xs, [2, 3, 5, channels]);
          const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.localResponseNormalization(a as tf.Tensor4D, radius, bias, alpha, beta), tf.tensor4d(dys, [2, 3, 5, channels]))))(x);
          return [tf.localResponseNormalization(x, radius, bias, alpha, beta), g];
        });
        expectClose(await y!.data(), lrnReference(xs, channels, radius, bias, alpha, beta).y);
        expectClose(await dx!.data(), lrnGradientReference(xs, dys, channels, radius, bias, alpha, beta));
        tf.dispose([y!, dx!]);
      });
    }

    it('LRN with another beta than 3/4 (the stock kernel) still follows the formula', async () => {
      const xs = random([1, 2, 2, 6], 10, 40);
      const y = tf.tidy(() => tf.localResponseNormalization(tf.tensor4d(xs, [1, 2, 2, 6]), 2, 1, 1e-3, 0.5));
      expectClose(await y.data(), lrnReference(xs, 6, 2, 1, 1e-3, 0.5).y);
      y.dispose();
    });

    for (const [size, channels, window, stride] of [
      [9, 6, 3, 2],
      [13, 5, 3, 2],
      [12, 8, 2, 2],
      [7, 1, 3, 1],
    ] as const) {
      it(`max-pool gradient, ${size}x${size}x${channels}, window ${window}, stride ${stride}: the first maximum of each window takes it`, async () => {
        // Rounded values and ReLU zeros make ties, including windows that are all zero.
        const xs = random([2, size, size, channels], 11, 3).map((v) => Math.max(0, Math.round(v)));
        const out = Math.floor((size - window) / stride) + 1;
        const dys = random([2, out, out, channels], 12);
        const want = new Float64Array(xs.length);
        for (let b = 0; b < 2; b++)
          for (let oy = 0; oy < out; oy++)
            for (let ox = 0; ox < out; ox++)
              for (let ch = 0; ch < channels; ch++) {
                let best = -Infinity;
                let where = -1;
                for (let wy = 0; wy < window; wy++)
                  for (let wx = 0; wx < window; wx++) {
                    const i = ((b * size + oy * stride + wy) * size + ox * stride + wx) * channels + ch;
                    if (xs[i]! > best) [best, where] = [xs[i]!, i];
                  }
                want[where]! += dys[((b * out + oy) * out + ox) * channels + ch]!;
              }
        const dx = tf.tidy(() =>
          tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, window, stride, 'valid'), tf.tensor4d(dys, [2, out, out, channels]))))(tf.tensor4d(xs, [2, size, size, channels])),
        );
        expectClose(await dx.data(), want, 1e-7);
        dx.dispose();
      });
    }
  });
}

describe("the CPU engine's results do not depend on the thread count", () => {
  /** conv1's and conv3's value and gradients, and an fc layer's, with the pool for every kernel. */
  async function compute(threads: number): Promise<Float32Array[]> {
    await startCpuEngine(threads);
    setPoolPolicy('always');
    try {
      const out = tf.tidy(() => {
        const results: tf.Tensor[] = [];
        for (const [batch, size, inC, outC, k, stride, pad] of [
          [2, 115, 3, 24, 11, 4, 'valid'],
          [16, 6, 64, 48, 3, 1, 'same'],
        ] as const) {
          const x = tf.tensor4d(random([batch, size, size, inC], 20), [batch, size, size, inC]);
          const w = tf.tensor4d(random([k, k, inC, outC], 21), [k, k, inC, outC]);
          const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)));
          results.push(tf.conv2d(x, w, stride, pad), ...tf.grads(f)([x, w]));
        }
        const a = tf.tensor2d(random([16, 256], 22), [16, 256]);
        const b = tf.tensor2d(random([256, 200], 23), [256, 200]);
        results.push(...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D))))([a, b]));
        return results;
      });
      const values = await Promise.all(out.map(async (t) => (await t.data()) as Float32Array));
      tf.dispose(out);
      return values;
    } finally {
      setPoolPolicy('auto');
    }
  }

  it('gives the same bits on one thread and on three (so a run resumes exactly on any machine)', async () => {
    const one = await compute(1);
    const three = await compute(3);
    expect(one).toHaveLength(three.length);
    one.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(three[i]!)));
    await selectBackend('cpu');
  });
});
