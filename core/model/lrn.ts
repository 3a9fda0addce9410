// Local response normalisation (section 3.3) from differentiable ops, so every backend gets a fast gradient.
import * as tf from '@tensorflow/tfjs-core';
import { LRN } from './config';

const bands = new Map<string, Float32Array>();

/** [C, C] with 1 where |i - j| <= n/2 (rounded down): the paper's window of n adjacent kernel maps, clipped at the ends. */
function band(channels: number, n: number): Float32Array {
  const key = `${channels}/${n}`;
  let values = bands.get(key);
  if (!values) {
    values = new Float32Array(channels * channels);
    const half = Math.floor(n / 2);
    for (let i = 0; i < channels; i++) for (let j = 0; j < channels; j++) if (Math.abs(i - j) <= half) values[i * channels + j] = 1;
    bands.set(key, values);
  }
  return values;
}

/**
 * b_i = a_i / (k + alpha * sum_{j = max(0, i - n/2)}^{min(N - 1, i + n/2)} a_j^2)^beta over the channels of x
 * [batch, height, width, channels]. The paper's alpha multiplies the sum itself (PyTorch's LocalResponseNorm divides
 * it by n). The window sum is a product with a banded 0/1 matrix, whose gradient is another product.
 */
export function localResponseNorm(x: tf.Tensor4D, k: number = LRN.k, n: number = LRN.n, alpha: number = LRN.alpha, beta: number = LRN.beta): tf.Tensor4D {
  // The CPU engine and WebGPU have LRN and its gradient as kernels of their own (core/cpu/kernels/lrn.c,
  // core/gpu/lrn.ts), one pass each; tfjs' depth radius r sums the 2r + 1 maps around i, as the band below does with
  // r = n/2 rounded down.
  if (tf.getBackend() === 'wasm' || tf.getBackend() === 'webgpu') return tf.localResponseNormalization(x, Math.floor(n / 2), k, alpha, beta);
  return tf.tidy(() => {
    const channels = x.shape[3];
    const squares = tf.reshape(tf.square(x), [-1, channels]);
    const sums = tf.reshape(tf.matMul(squares, tf.tensor2d(band(channels, n), [channels, channels])), x.shape);
    return tf.div(x, tf.pow(tf.add(tf.mul(sums, alpha), k), beta)) as tf.Tensor4D;
  });
}
