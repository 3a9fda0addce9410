// A 2-D convolution whose filter gradient is one matrix product over im2col columns, instead of tfjs' naive loops.
//
// Profiling a training step showed the stock Conv2DBackpropFilter kernels take ~95 % of the step on the CPU backend
// and the largest share on WebGPU. Here dW[kh, kw, ci, co] = sum over (b, oy, ox) of x[b, oy*s + kh, ox*s + kw, ci]
// * dy[b, oy, ox, co] is computed by gathering, for every kernel offset, the strided slice of the (padded) input
// that the offset sees, concatenating them into columns [positions, K*K*Ci] and multiplying by dy [positions, Co].
// The input gradient keeps the stock kernel (a transposed convolution), which is not the bottleneck.
import * as tf from '@tensorflow/tfjs-core';
import { BIAS_GRADIENT_RELU_KERNEL, CONV_BIAS_RELU_KERNEL, CONV_FILTER_GRADIENT_RELU_KERNEL, CONV_INPUT_GRADIENT_RELU_KERNEL } from '../gpu/conv';

export type Padding = 'valid' | 'same';

/** Columns are built for at most this many bytes at a time; larger batches are summed chunk by chunk. */
const COLUMN_BYTES = 128 * 1024 * 1024;

/** Padding before/after of one spatial axis, as TensorFlow computes it for 'same'. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** dW of a convolution of x [B, H, W, Ci] giving dy [B, OH, OW, Co], for a square kernel. */
export function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, kernel: number, stride: number, pad: Padding): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, inChannels] = x.shape;
    const [, outHeight, outWidth, outChannels] = dy.shape;
    let padded = x;
    if (pad === 'same') {
      const [top, bottom] = samePadding(height, kernel, stride);
      const [left, right] = samePadding(width, kernel, stride);
      if (top + bottom + left + right > 0) padded = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    }
    const positionsPerImage = outHeight * outWidth;
    const columnBytesPerImage = positionsPerImage * kernel * kernel * inChannels * 4;
    const chunk = Math.max(1, Math.min(batch, Math.floor(COLUMN_BYTES / columnBytesPerImage)));
    let total: tf.Tensor2D | undefined;
    for (let start = 0; start < batch; start += chunk) {
      const n = Math.min(chunk, batch - start);
      const part = tf.tidy(() => {
        const xs = n === batch ? padded : tf.slice(padded, [start, 0, 0, 0], [n, -1, -1, -1]);
        const dys = n === batch ? dy : tf.slice(dy, [start, 0, 0, 0], [n, -1, -1, -1]);
        const slices: tf.Tensor4D[] = [];
        for (let kh = 0; kh < kernel; kh++) {
          for (let kw = 0; kw < kernel; kw++) {
            slices.push(
              tf.stridedSlice(xs, [0, kh, kw, 0], [n, kh + stride * (outHeight - 1) + 1, kw + stride * (outWidth - 1) + 1, inChannels], [1, stride, stride, 1]) as tf.Tensor4D,
            );
          }
        }
        const columns = tf.reshape(slices.length === 1 ? slices[0]! : tf.concat(slices, 3), [n * positionsPerImage, kernel * kernel * inChannels]);
        return tf.matMul(columns, tf.reshape(dys, [n * positionsPerImage, outChannels]), true, false) as tf.Tensor2D; // [K*K*Ci, Co]
      });
      if (total) {
        const sum = tf.add(total, part) as tf.Tensor2D;
        tf.dispose([total, part]);
        total = sum;
      } else total = part;
    }
    return tf.reshape(total!, [kernel, kernel, inChannels, outChannels]);
  });
}

/**
 * dW on the host for the CPU backend: one pass over the output positions with the output channels innermost, so
 * the loops run over contiguous memory (tfjs' CPU kernel and its StridedSlice are far slower for this).
 */
function filterGradientOnHost(x: tf.Tensor4D, dy: tf.Tensor4D, kernel: number, stride: number, pad: Padding): tf.Tensor4D {
  const [batch, height, width, inChannels] = x.shape;
  const [, outHeight, outWidth, outChannels] = dy.shape;
  const [top] = pad === 'same' ? samePadding(height, kernel, stride) : [0];
  const [left] = pad === 'same' ? samePadding(width, kernel, stride) : [0];
  const xs = x.dataSync() as Float32Array;
  const dys = dy.dataSync() as Float32Array;
  const dw = new Float64Array(kernel * kernel * inChannels * outChannels);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let kh = 0; kh < kernel; kh++) {
          const y = oy * stride + kh - top!;
          if (y < 0 || y >= height) continue;
          for (let kw = 0; kw < kernel; kw++) {
            const xx = ox * stride + kw - left!;
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
 * gradient is a host loop on the CPU backend (the stock one is kept on GPU backends, where it measured faster than
 * the column form above on a software adapter), and no input gradient is computed when the input is the image
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
