// Checks local response normalisation against the paper's formula (section 3.3) in float64, and its gradient.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { Rng } from '../random/rng';
import { localResponseNorm } from './lrn';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** b_i = a_i / (k + alpha * sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} a_j^2)^beta, straight from the paper, in float64. */
function paperLrn(a: number[], channels: number, k = 2, n = 5, alpha = 1e-4, beta = 0.75): number[] {
  const out = new Array<number>(a.length);
  for (let p = 0; p < a.length / channels; p++) {
    for (let i = 0; i < channels; i++) {
      let sum = 0;
      for (let j = Math.max(0, i - Math.floor(n / 2)); j <= Math.min(channels - 1, i + Math.floor(n / 2)); j++) sum += a[p * channels + j]! ** 2;
      out[p * channels + i] = a[p * channels + i]! / (k + alpha * sum) ** beta;
    }
  }
  return out;
}

function input(channels: number, seed: number): number[] {
  // Values of tens, as after a ReLU on raw pixels, so that alpha * sum is comparable to k and a wrong window shows.
  const rng = new Rng(seed);
  return Array.from({ length: 2 * 3 * 3 * channels }, () => rng.uniform() * 80 - 10);
}

describe('localResponseNorm', () => {
  for (const channels of [1, 2, 3, 5, 48]) {
    it(`matches the paper's formula with ${channels} channels`, () => {
      const a = input(channels, channels);
      const got = tf.tidy(() => localResponseNorm(tf.tensor4d(a, [2, 3, 3, channels])).dataSync());
      const want = paperLrn(a, channels);
      want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 4));
    });
  }

  it('has the gradient of the formula (central differences in float64)', () => {
    const channels = 7;
    const a = input(channels, 11);
    const r = new Rng(12);
    const weights = a.map(() => r.uniform() - 0.5);
    const objective = (values: number[]) => paperLrn(values, channels).reduce((s, v, i) => s + v * weights[i]!, 0);
    const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(localResponseNorm(x as tf.Tensor4D), tf.tensor(weights, [2, 3, 3, channels]))))(tf.tensor4d(a, [2, 3, 3, channels])).dataSync());
    for (const i of [0, 3, 6, 20, 41, 100, a.length - 1]) {
      const h = 1e-4;
      const plus = [...a];
      const minus = [...a];
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = (objective(plus) - objective(minus)) / (2 * h);
      expect(grad[i]).toBeCloseTo(numeric, 4);
    }
  });

  it("agrees with TensorFlow.js' own LRN kernel (depth radius 2, bias 2, alpha 1e-4, beta 0.75)", () => {
    const a = input(48, 5);
    const [ours, theirs] = tf.tidy(() => {
      const x = tf.tensor4d(a, [2, 3, 3, 48]);
      return [localResponseNorm(x).dataSync(), tf.localResponseNormalization(x, 2, 2, 1e-4, 0.75).dataSync()];
    });
    ours!.forEach((v, i) => expect(v).toBeCloseTo(theirs![i]!, 4));
  });
});
