// A fully connected layer, x W + b (and its ReLU for the hidden layers), as one op with a gradient of its own on
// WebGPU.
import * as tf from '@tensorflow/tfjs-core';
import { BIAS_GRADIENT_RELU_KERNEL } from '../gpu/conv';
import { MATMUL_BIAS_KERNEL, MATMUL_RELU_KERNEL } from '../gpu/matmul';

type Dense = (x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;
const fused = new Map<boolean, Dense>();

function fusedDense(relu: boolean): Dense {
  return tf.customGrad(((input: tf.Tensor2D, weights: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const y = tf.engine().runKernel(MATMUL_BIAS_KERNEL, { a: input, b: weights, bias: b }, { relu }) as tf.Tensor2D;
    save([input, weights, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [xs, ws, activation] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        if (!relu) return [tf.matMul(dy, ws, false, true), tf.matMul(xs, dy, true, false), tf.sum(dy, 0)];
        // Through the ReLU: each product reads dy where the output is positive as it loads it.
        const dx = tf.engine().runKernel(MATMUL_RELU_KERNEL, { a: dy, b: ws, activation }, { transposeB: true, masked: 'a' }) as tf.Tensor2D;
        const dw = tf.engine().runKernel(MATMUL_RELU_KERNEL, { a: xs, b: dy, activation }, { transposeA: true, masked: 'b' }) as tf.Tensor2D;
        return [dx, dw, tf.engine().runKernel(BIAS_GRADIENT_RELU_KERNEL, { dy, activation }) as tf.Tensor1D];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Dense;
}

/**
 * x kernel + bias, then a ReLU where `relu`, for x [batch, in], kernel [in, out]. On WebGPU one kernel computes it
 * (the bias and ReLU applied as each value is stored, core/gpu/matmul.ts) and, through the ReLU, the input, weight
 * and bias gradients each read dy where the output is positive as they load it; elsewhere it is the ops it stands
 * for, whose gradients are the same.
 */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor, relu: boolean): tf.Tensor2D {
  if (tf.getBackend() !== 'webgpu') {
    return tf.tidy(() => {
      const y = tf.add(tf.matMul(x, kernel), bias) as tf.Tensor2D;
      return relu ? tf.relu(y) : y;
    });
  }
  let layer = fused.get(relu);
  if (!layer) fused.set(relu, (layer = fusedDense(relu)));
  return layer(x, kernel, bias as tf.Tensor1D);
}
