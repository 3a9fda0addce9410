// The model's convolutions with faster gradients than tfjs' stock ones.
//
// Profiling a training step showed the stock Conv2DBackpropFilter kernels take ~95 % of the step on the CPU backend
// and the largest share on WebGPU. dW[kh, kw, ci, co] = sum over (b, oy, ox) of x[b, oy*s + kh - pad, ox*s + kw -
// pad, ci] * dy[b, oy, ox, co]: on the CPU backend a host loop with the output channels innermost computes it; on
// WebGPU the layer with its bias and ReLU is one kernel of core/gpu/conv.ts and so are its gradients.
import * as tf from '@tensorflow/tfjs-core';
import { BIAS_GRADIENT_RELU_KERNEL, CONV_BIAS_RELU_KERNEL, CONV_FILTER_GRADIENT_RELU_KERNEL, CONV_INPUT_GRADIENT_RELU_KERNEL } from '../gpu/conv';

export type Padding = 'valid' | 'same';

/** Padding before one spatial axis, as TensorFlow computes it for 'same' (the rest goes after it). */
function samePaddingBefore(size: number, kernel: number, stride: number): number {
  const out = Math.ceil(size / stride);
  return Math.floor(Math.max((out - 1) * stride + kernel - size, 0) / 2);
}

/**
 * dW on the host for the CPU backend: one pass over the output positions with the output channels innermost, so
 * the loops run over contiguous memory (tfjs' CPU kernel and its StridedSlice are far slower for this).
 */
function filterGradientOnHost(x: tf.Tensor4D, dy: tf.Tensor4D, kernel: number, stride: number, pad: Padding): tf.Tensor4D {
  const [batch, height, width, inChannels] = x.shape;
  const [, outHeight, outWidth, outChannels] = dy.shape;
  const top = pad === 'same' ? samePaddingBefore(height, kernel, stride) : 0;
  const left = pad === 'same' ? samePaddingBefore(width, kernel, stride) : 0;
  const xs = x.dataSync() as Float32Array;
  const dys = dy.dataSync() as Float32Array;
  const dw = new Float64Array(kernel * kernel * inChannels * outChannels);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let kh = 0; kh < kernel; kh++) {
          const y = oy * stride + kh - top;
          if (y < 0 || y >= height) continue;
          for (let kw = 0; kw < kernel; kw++) {
            const xx = ox * stride + kw - left;
            if (xx < 0 || xx >= width) continue;
            const xBase = ((b * height + y) * width + xx) * inChannels;
            const wBase = (kh * kernel + kw) * inChannels * outChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              const v = xs[xBase + ci]!;
              if (v === 0) continue; // ReLU outputs are often zero
              const row = wBase + ci * outChannels;
              for (let co = 0; co < outChannels; co++) dw[row + co]! += v * dys[dyBase + co]!;
            }
          }
        }
      }
    }
  }
  return tf.tensor4d(Float32Array.from(dw), [kernel, kernel, inChannels, outChannels]);
}

type Conv = (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D;
const convolutions = new Map<string, Conv>();

/**
 * conv2d (NHWC, square kernel, no dilation) with the same values as tf.conv2d and a faster gradient: the filter
 * gradient is a host loop on the CPU backend (the stock kernel elsewhere), and no input gradient is computed when the input is the image
 * (`inputGradient` false), which tfjs would otherwise not skip inside a custom gradient.
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, pad: Padding, inputGradient = true): tf.Tensor4D {
  if (filter.shape[0] !== filter.shape[1]) throw new Error(`Only square kernels are supported; got ${filter.shape[0]}x${filter.shape[1]}.`);
  const key = `${stride}/${pad}/${inputGradient}`;
  let conv = convolutions.get(key);
  if (!conv) {
    conv = tf.customGrad(((input: tf.Tensor4D, weights: tf.Tensor4D, save: tf.GradSaveFunc) => {
      save([input, weights]);
      return {
        value: tf.conv2d(input, weights, stride, pad),
        gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
          const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
          const dx = inputGradient ? tf.conv2dTranspose(dy, ws, xs.shape, stride, pad) : tf.zerosLike(xs);
          const k = ws.shape[0];
          const dw =
            tf.getBackend() === 'cpu'
              ? filterGradientOnHost(xs, dy, k, stride, pad)
              : (tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, { strides: stride, pad, dataFormat: 'NHWC', filterShape: ws.shape }) as tf.Tensor4D);
          return [dx, dw];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Conv;
    convolutions.set(key, conv);
  }
  return conv(x, filter);
}

type ConvBiasRelu = (x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;
const fusedConvolutions = new Map<string, ConvBiasRelu>();

/**
 * relu(conv2d(x, filter) + bias), the layer of every convolution of the model. On WebGPU one kernel computes it (the
 * bias and ReLU applied as each value is stored, core/gpu/conv.ts) and its three gradients each read dy masked by the
 * output as they load it (the strided input gradient, which the model never needs, masks a copy); elsewhere it is the
 * three ops, whose gradients are the same.
 */
export function convBiasRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor, stride: number, pad: Padding, inputGradient = true): tf.Tensor4D {
  if (tf.getBackend() !== 'webgpu') return tf.tidy(() => tf.relu(tf.add(conv2d(x, filter, stride, pad, inputGradient), bias)) as tf.Tensor4D);
  const key = `${stride}/${pad}/${inputGradient}`;
  let layer = fusedConvolutions.get(key);
  if (!layer) {
    layer = tf.customGrad(((input: tf.Tensor4D, weights: tf.Tensor4D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
      const y = tf.engine().runKernel(CONV_BIAS_RELU_KERNEL, { x: input, filter: weights, bias: b }, { strides: stride, pad } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
      save([input, weights, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
          const [xs, ws, ys] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
          // Each kernel reads dy where the output is positive (ReLU's gradient) as it loads it: no masked copy.
          const activation = ys;
          const dx = !inputGradient
            ? tf.zerosLike(xs)
            : stride === 1
              ? (tf.engine().runKernel(CONV_INPUT_GRADIENT_RELU_KERNEL, { dy, filter: ws, activation }, { strides: stride, pad, inputShape: xs.shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D)
              : tf.tidy(() => tf.conv2dTranspose(tf.mul(dy, tf.step(ys)) as tf.Tensor4D, ws, xs.shape, stride, pad));
          const dw = tf.engine().runKernel(CONV_FILTER_GRADIENT_RELU_KERNEL, { x: xs, dy, activation }, { strides: stride, pad, dataFormat: 'NHWC', filterShape: ws.shape } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
          return [dx, dw, tf.engine().runKernel(BIAS_GRADIENT_RELU_KERNEL, { dy, activation }) as tf.Tensor1D];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as ConvBiasRelu;
    fusedConvolutions.set(key, layer);
  }
  return layer(x, filter, bias as tf.Tensor1D);
}
