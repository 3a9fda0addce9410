// Max pooling (section 3.4: overlapping when the window is larger than the stride), valid padding, NHWC.
import * as tf from '@tensorflow/tfjs-core';
import { MAX_POOL_ARGMAX_KERNEL, MAX_POOL_GATHER_KERNEL, MAX_POOL_GRAD_KERNEL } from '../gpu/pool';

type Pool = (x: tf.Tensor4D) => tf.Tensor4D;
const pools = new Map<string, Pool>();

/**
 * tf.maxPool(x, window, stride, 'valid'). On WebGPU the forward pass records each maximum's offset in its window and
 * the gradient is gathered from that record (core/gpu/pool.ts) instead of TensorFlow.js's recomputation of the
 * positions; the values and gradients are the same (ties to the first maximum, as tfjs' CPU backend breaks them).
 */
export function maxPool(x: tf.Tensor4D, window: number, stride: number): tf.Tensor4D {
  if (tf.getBackend() !== 'webgpu') return tf.maxPool(x, window, stride, 'valid');
  const key = `${window}/${stride}`;
  let pool = pools.get(key);
  if (!pool) {
    const attrs = { window, stride };
    pool = tf.customGrad(((input: tf.Tensor4D, save: tf.GradSaveFunc) => {
      const argmax = tf.engine().runKernel(MAX_POOL_ARGMAX_KERNEL, { x: input }, attrs) as tf.Tensor4D;
      const y = tf.engine().runKernel(MAX_POOL_GATHER_KERNEL, { x: input, argmax }, attrs) as tf.Tensor4D;
      save([argmax]);
      const inShape = input.shape;
      return {
        value: y,
        gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => [
          tf.engine().runKernel(MAX_POOL_GRAD_KERNEL, { dy, argmax: saved[0]! }, { ...attrs, inShape } as unknown as tf.NamedAttrMap) as tf.Tensor4D,
        ],
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Pool;
    pools.set(key, pool);
  }
  return pool(x);
}
