// Convolutions on WebGPU as implicit GEMMs on the one core (core/gpu/gemm.ts): forward, filter gradient and input
// gradient read x, the filter and dy in place, with no im2col columns in memory. Registered over TensorFlow.js's
// Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput for the webgpu backend (NHWC, no dilation; anything else goes
// to the stock kernel), plus the forward with bias and ReLU fused into its store (AlexNetConv2DBiasRelu) and the
// gradients through that ReLU: the filter and input gradients read dy where the layer's output is positive and 0
// elsewhere as they load it, and the bias gradient sums it per channel, so the masked dy is never stored.
//
// With p = (b, oy, ox) an output position, q = (kh, kw, ci) a filter tap and the input pixel it sees at
// (oy sh + kh - top, ox sw + kw - left), zero outside the image:
//   forward          y[p, co]  = sum_q  x[pixel(p, q), ci] w[q, co]          M = positions, N = Co, K = taps
//   filter gradient  dw[q, co] = sum_p  x[pixel(p, q), ci] dy[p, co]         M = taps, N = Co, K = positions (split)
//   input gradient   dx[b, iy, ix, ci] = sum_{kh, kw, co} dy[p, co] w[kh, kw, ci, co] over the p whose tap (kh, kw)
//   (stride 1)       sees (iy, ix)                                           M = input pixels, N = Ci, K = kh kw Co
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerWebGpuKernels, stockKernel, type Kernel, type KernelArgs } from './registry';
import { chooseKPerSplit, flatDispatch, gemmProgram, runSplits, splitsOf, type GemmSpec } from './gemm';

export const CONV_BIAS_RELU_KERNEL = 'AlexNetConv2DBiasRelu';
/** Given x, dy and the layer's output `activation` = ReLU(conv + bias): the filter gradient through the ReLU. */
export const CONV_FILTER_GRADIENT_RELU_KERNEL = 'AlexNetConv2DBackpropFilterRelu';
/** Given dy, the filter and `activation` (stride 1 only): the input gradient through the ReLU. */
export const CONV_INPUT_GRADIENT_RELU_KERNEL = 'AlexNetConv2DBackpropInputRelu';
/** Given dy and `activation` (NHWC, any rank with channels last): the bias gradient through the ReLU. */
export const BIAS_GRADIENT_RELU_KERNEL = 'AlexNetBiasGradientRelu';
/** Bias gradients over at most this many rows are one pass; longer ones are split. */
const SINGLE_PASS_ROWS = 1024;

interface ConvAttributes {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The shape constants every loader compiles in, from TensorFlow.js's own reading of the attributes. */
function geometry(info: tf.backend_util.Conv2DInfo, readsX = true): string {
  return `
      const BATCH = ${info.batchSize};
      const IN_H = ${info.inHeight};
      const IN_W = ${info.inWidth};
      const CI = ${info.inChannels};
      const OUT_H = ${info.outHeight};
      const OUT_W = ${info.outWidth};
      const CO = ${info.outChannels};
      const KH = ${info.filterHeight};
      const KW = ${info.filterWidth};
      const SH = ${info.strideHeight};
      const SW = ${info.strideWidth};
      const TOP = ${info.padInfo.top};
      const LEFT = ${info.padInfo.left};${readsX ? PIXEL : ''}`;
}

const PIXEL = `
      // x at output position p (b, oy, ox) and filter tap q (kh, kw, ci); 0 in the padding.
      fn pixel(p : i32, q : i32) -> f32 {
        let b = p / (OUT_H * OUT_W);
        let r = p % (OUT_H * OUT_W);
        let kh = q / (KW * CI);
        let s = q % (KW * CI);
        let iy = (r / OUT_W) * SH + kh - TOP;
        let ix = (r % OUT_W) * SW + s / CI - LEFT;
        if (iy < 0 || iy >= IN_H || ix < 0 || ix >= IN_W) { return 0.0; }
        return x[((b * IN_H + iy) * IN_W + ix) * CI + s % CI];
      }`;

/** WGSL `dyAt(i)`: dy's element i, or with `throughRelu` the gradient through the ReLU whose output is `activation`. */
function dyAt(throughRelu: boolean): string {
  return throughRelu
    ? `
      fn dyAt(i : i32) -> f32 { return select(0.0, dy[i], activation[i] > 0.0); }`
    : `
      fn dyAt(i : i32) -> f32 { return dy[i]; }`;
}

function key(info: tf.backend_util.Conv2DInfo): string {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left].join('_');
}

function forwardProgram(info: tf.backend_util.Conv2DInfo, biasRelu: boolean): WebGPUProgram {
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  const spec: GemmSpec = {
    key: `conv_${biasRelu ? 'bias_relu' : 'plain'}_${key(info)}`,
    m: info.batchSize * info.outHeight * info.outWidth,
    n: info.outChannels,
    k: taps,
    prelude: geometry(info),
    loadA: 'fn loadA(m : i32, k : i32) -> f32 { return pixel(m, k); }',
    loadB: 'fn loadB(k : i32, n : i32) -> f32 { return w[k * CO + n]; }',
    aAlongK: true,
    bAlongK: false,
    store: biasRelu
      ? 'fn store(split : i32, m : i32, n : i32, value : f32) { result[m * CO + n] = max(value + bias[n], 0.0); }'
      : 'fn store(split : i32, m : i32, n : i32, value : f32) { result[m * CO + n] = value; }',
  };
  return gemmProgram(spec, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], biasRelu ? ['x', 'w', 'bias'] : ['x', 'w']);
}

function filterGradientSpec(info: tf.backend_util.Conv2DInfo, throughRelu: boolean): GemmSpec {
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  const positions = info.batchSize * info.outHeight * info.outWidth;
  return {
    key: `conv_filter_grad_${throughRelu ? 'relu_' : ''}${key(info)}`,
    m: taps,
    n: info.outChannels,
    k: positions,
    kPerSplit: chooseKPerSplit(taps, info.outChannels, positions),
    prelude: geometry(info) + dyAt(throughRelu),
    loadA: 'fn loadA(m : i32, k : i32) -> f32 { return pixel(k, m); }',
    loadB: 'fn loadB(k : i32, n : i32) -> f32 { return dyAt(k * CO + n); }',
    aAlongK: false, // consecutive taps are consecutive input channels
    bAlongK: false,
    store: `fn store(split : i32, m : i32, n : i32, value : f32) { result[(split * ${taps} + m) * CO + n] = value; }`,
  };
}

function inputGradientProgram(info: tf.backend_util.Conv2DInfo, throughRelu: boolean): WebGPUProgram {
  const spec: GemmSpec = {
    key: `conv_input_grad_${throughRelu ? 'relu_' : ''}${key(info)}`,
    m: info.batchSize * info.inHeight * info.inWidth,
    n: info.inChannels,
    k: info.filterHeight * info.filterWidth * info.outChannels,
    prelude: `
      ${geometry(info, false)}${dyAt(throughRelu)}
      // dy at input pixel m (b, iy, ix) for tap k (kh, kw, co): the output position whose tap (kh, kw) sees it, if any.
      fn gradient(m : i32, k : i32) -> f32 {
        let b = m / (IN_H * IN_W);
        let r = m % (IN_H * IN_W);
        let kh = k / (KW * CO);
        let s = k % (KW * CO);
        let oy = r / IN_W + TOP - kh;
        let ox = r % IN_W + LEFT - s / CO;
        if (oy < 0 || oy >= OUT_H || ox < 0 || ox >= OUT_W) { return 0.0; }
        return dyAt(((b * OUT_H + oy) * OUT_W + ox) * CO + s % CO);
      }`,
    loadA: 'fn loadA(m : i32, k : i32) -> f32 { return gradient(m, k); }',
    // w[kh, kw, ci, co] for k = (kh, kw, co) and n = ci.
    loadB: 'fn loadB(k : i32, n : i32) -> f32 { return w[((k / CO) * CI + n) * CO + k % CO]; }',
    aAlongK: true,
    bAlongK: true,
    store: 'fn store(split : i32, m : i32, n : i32, value : f32) { result[m * CI + n] = value; }',
  };
  return gemmProgram(spec, [info.batchSize, info.inHeight, info.inWidth, info.inChannels], throughRelu ? ['dy', 'w', 'activation'] : ['dy', 'w']);
}

/**
 * Per channel, partial sums of the gradient through the ReLU over `rowsPerSplit` consecutive rows (positions) each:
 * thread (split, c) reads column c, and neighbouring threads neighbouring channels.
 */
function biasGradientProgram(rows: number, channels: number, rowsPerSplit: number): WebGPUProgram {
  const splits = Math.ceil(rows / rowsPerSplit);
  const outputShape = splits === 1 ? [channels] : [splits, channels];
  return {
    outputShape,
    shaderKey: `alexnet_bias_grad_relu_${rows}_${channels}_${rowsPerSplit}`,
    variableNames: ['dy', 'activation'],
    size: true,
    ...flatDispatch(outputShape),
    getUserCode: () => `
      const ROWS = ${rows};
      const C = ${channels};
      const ROWS_PER_SPLIT = ${rowsPerSplit};
      ${dyAt(true)}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % C;
          let first = (index / C) * ROWS_PER_SPLIT;
          var sum = 0.0;
          for (var r = first; r < min(first + ROWS_PER_SPLIT, ROWS); r++) { sum += dyAt(r * C + c); }
          result[index] = sum;
        }
      }`,
  };
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttributes): tf.backend_util.Conv2DInfo | undefined {
  const dilations = attrs.dilations ?? 1;
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || (typeof dilations === 'number' ? dilations !== 1 : dilations.some((d) => d !== 1))) return undefined;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as 'valid',
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

function conv2d(args: KernelArgs): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const info = convInfo(x.shape, filter.shape, args.attrs as unknown as ConvAttributes);
  if (!info) return stockKernel('Conv2D')(args) as tf.TensorInfo;
  return (args.backend as WebGPUBackend).runWebGPUProgram(forwardProgram(info, false), [x, filter], 'float32');
}

function conv2dBiasRelu(args: KernelArgs): tf.TensorInfo {
  const { x, filter, bias } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias: tf.TensorInfo };
  const info = convInfo(x.shape, filter.shape, args.attrs as unknown as ConvAttributes);
  if (!info) throw new Error(`${CONV_BIAS_RELU_KERNEL} takes NHWC inputs without dilation.`);
  return (args.backend as WebGPUBackend).runWebGPUProgram(forwardProgram(info, true), [x, filter, bias], 'float32');
}

function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttributes & { filterShape: [number, number, number, number] };
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  if (!info) return stockKernel('Conv2DBackpropFilter')(args) as tf.TensorInfo;
  return filterGradient(args.backend as WebGPUBackend, info, [x, dy], attrs.filterShape);
}

/** The filter gradient from [x, dy] or, through the ReLU, [x, dy, activation]: split over k and summed. */
function filterGradient(backend: WebGPUBackend, info: tf.backend_util.Conv2DInfo, inputs: tf.TensorInfo[], filterShape: number[]): tf.TensorInfo {
  const names = ['x', 'dy', 'activation'].slice(0, inputs.length);
  const spec = filterGradientSpec(info, inputs.length === 3);
  const splits = splitsOf(spec);
  return runSplits(backend, gemmProgram(spec, splits === 1 ? [...filterShape] : [splits, spec.m, spec.n], names), inputs, filterShape, splits);
}

function conv2dBackpropFilterRelu(args: KernelArgs): tf.TensorInfo {
  const { x, dy, activation } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo; activation: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttributes & { filterShape: [number, number, number, number] };
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  if (!info) throw new Error(`${CONV_FILTER_GRADIENT_RELU_KERNEL} takes NHWC inputs without dilation.`);
  return filterGradient(args.backend as WebGPUBackend, info, [x, dy, activation], attrs.filterShape);
}

function conv2dBackpropInputRelu(args: KernelArgs): tf.TensorInfo {
  const { dy, filter, activation } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo; activation: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttributes & { inputShape: [number, number, number, number] };
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  if (!info || info.strideHeight !== 1 || info.strideWidth !== 1) throw new Error(`${CONV_INPUT_GRADIENT_RELU_KERNEL} takes NHWC inputs at stride 1 without dilation.`);
  return (args.backend as WebGPUBackend).runWebGPUProgram(inputGradientProgram(info, true), [dy, filter, activation], 'float32');
}

function biasGradientRelu(args: KernelArgs): tf.TensorInfo {
  const { dy, activation } = args.inputs as { dy: tf.TensorInfo; activation: tf.TensorInfo };
  const channels = dy.shape[dy.shape.length - 1]!;
  const rows = dy.shape.reduce((a, b) => a * b, 1) / channels;
  // About sqrt(rows) splits of sqrt(rows) rows: neither the partial sums nor their sum is a long serial loop. A few
  // rows (a fully connected layer's batch) are summed in one pass.
  const rowsPerSplit = rows <= SINGLE_PASS_ROWS ? rows : Math.ceil(Math.sqrt(rows));
  return runSplits(args.backend as WebGPUBackend, biasGradientProgram(rows, channels, rowsPerSplit), [dy, activation], [channels], Math.ceil(rows / rowsPerSplit));
}

function conv2dBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttributes & { inputShape: [number, number, number, number] };
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  // At stride s only one tap in s^2 of the implicit GEMM's k would be nonzero (the paper needs no input gradient at
  // conv1, its one strided convolution), so strided input gradients stay with the stock kernel.
  if (!info || info.strideHeight !== 1 || info.strideWidth !== 1) return stockKernel('Conv2DBackpropInput')(args) as tf.TensorInfo;
  return (args.backend as WebGPUBackend).runWebGPUProgram(inputGradientProgram(info, false), [dy, filter], 'float32');
}

const KERNELS: [string, Kernel][] = [
  ['Conv2D', conv2d],
  ['Conv2DBackpropFilter', conv2dBackpropFilter],
  ['Conv2DBackpropInput', conv2dBackpropInput],
  [CONV_BIAS_RELU_KERNEL, conv2dBiasRelu],
  [CONV_FILTER_GRADIENT_RELU_KERNEL, conv2dBackpropFilterRelu],
  [CONV_INPUT_GRADIENT_RELU_KERNEL, conv2dBackpropInputRelu],
  [BIAS_GRADIENT_RELU_KERNEL, biasGradientRelu],
];

/** Puts the kernels above over TensorFlow.js's for the webgpu backend, keeping the stock ones for what they don't take. */
export function registerConvKernels(): void {
  registerWebGpuKernels(KERNELS);
}
