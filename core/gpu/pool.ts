// Max pooling on WebGPU that records where each maximum came from, and its gradient from that record. TensorFlow.js's
// WebGPU gradient recomputes the forward pass to find the positions and then loops over every window; here the
// forward pass keeps, for every output, the offset of its maximum within the window (int32, wy * window + wx), and
// the gradient of each input pixel gathers dy from the at most ceil(window / stride)^2 windows that contain it and
// chose it: deterministic (no atomics) and one read of the record and dy per such window.
//
// Valid padding, square windows, NHWC. Ties go to the first maximum in row-major order and NaN never wins, as on
// TensorFlow.js's CPU backend (a window of NaN alone records offset 0, so its output is NaN instead of -Infinity).
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export const MAX_POOL_ARGMAX_KERNEL = 'AlexNetMaxPoolArgmax';
export const MAX_POOL_GATHER_KERNEL = 'AlexNetMaxPoolGather';
export const MAX_POOL_GRAD_KERNEL = 'AlexNetMaxPoolGradFromArgmax';

export interface PoolAttributes {
  window: number;
  stride: number;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/** The output side of a valid pooling; refuses a window larger than the input. */
export function pooledSide(side: number, window: number, stride: number): number {
  if (window > side) throw new Error(`A ${window}x${window} pooling window does not fit a ${side}-pixel side.`);
  return Math.floor((side - window) / stride) + 1;
}

/** The constants of a pooling of `shape` [B, H, W, C]. */
function geometry([batch, height, width, channels]: number[], { window, stride }: PoolAttributes): string {
  return `
      const BATCH = ${batch!};
      const IN_H = ${height!};
      const IN_W = ${width!};
      const C = ${channels!};
      const OUT_H = ${pooledSide(height!, window, stride)};
      const OUT_W = ${pooledSide(width!, window, stride)};
      const WINDOW = ${window};
      const STRIDE = ${stride};`;
}

/** A flat program of one thread per element of `outputShape`, its body given (b, y, x, c) of that element. */
function program(name: string, xShape: number[], outputShape: number[], attrs: PoolAttributes, variableNames: string[], body: string): WebGPUProgram {
  const size = outputShape.reduce((a, b) => a * b, 1);
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const groups = Math.ceil(size / workgroupSize[0]);
  // Dawn and browsers allow 65,535 workgroups per dimension: large tensors spread over y.
  const dispatch: [number, number, number] = [Math.min(groups, 65535), Math.ceil(groups / 65535), 1];
  const [, height, width, channels] = outputShape;
  return {
    outputShape,
    shaderKey: `alexnet_${name}_${xShape.join('_')}_${attrs.window}_${attrs.stride}`,
    variableNames,
    workgroupSize,
    // One more dimension than the output: TensorFlow.js then generates neither getOutputCoords nor a flat main.
    dispatchLayout: { x: outputShape.map((_, i) => i), y: [0] },
    dispatch,
    getUserCode: () => `
      ${geometry(xShape, attrs)}
      fn isNan(v : f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
      fn main() {
        _ = uniforms.NAN; // the bind group always holds TensorFlow.js's uniform buffer; the shaders must use it
        let index = i32(globalId.y) * ${dispatch[0] * workgroupSize[0]} + i32(globalId.x);
        if (index >= ${size}) { return; }
        let c = index % ${channels!};
        let x = (index / ${channels!}) % ${width!};
        let y = (index / ${channels! * width!}) % ${height!};
        let b = index / ${channels! * width! * height!};
        ${body}
      }`,
  };
}

// WGSL lets compilers assume no NaN (lavapipe folds v != v to false), so NaN is recognised by its bits.
const ARGMAX = `
        var best = 0;
        var top = x_[((b * IN_H + y * STRIDE) * IN_W + x * STRIDE) * C + c];
        for (var wy = 0; wy < WINDOW; wy++) {
          for (var wx = 0; wx < WINDOW; wx++) {
            let v = x_[((b * IN_H + y * STRIDE + wy) * IN_W + x * STRIDE + wx) * C + c];
            if (!isNan(v) && (v > top || isNan(top))) { top = v; best = wy * WINDOW + wx; }
          }
        }
        result[index] = best;`;

const GATHER = `
        let at = argmax[index];
        result[index] = x_[((b * IN_H + y * STRIDE + at / WINDOW) * IN_W + x * STRIDE + at % WINDOW) * C + c];`;

// The windows (oy, ox) containing input (y, x): oy STRIDE <= y < oy STRIDE + WINDOW, within the output.
const GRADIENT = `
        var sum = 0.0;
        let oyEnd = min(OUT_H - 1, y / STRIDE);
        let oxEnd = min(OUT_W - 1, x / STRIDE);
        for (var oy = max(0, (y - WINDOW + STRIDE) / STRIDE); oy <= oyEnd; oy++) {
          for (var ox = max(0, (x - WINDOW + STRIDE) / STRIDE); ox <= oxEnd; ox++) {
            let o = ((b * OUT_H + oy) * OUT_W + ox) * C + c;
            if (argmax[o] == (y - oy * STRIDE) * WINDOW + x - ox * STRIDE) { sum += dy[o]; }
          }
        }
        result[index] = sum;`;

function attributes(attrs: tf.NamedAttrMap | undefined): PoolAttributes {
  const { window, stride } = attrs as unknown as PoolAttributes;
  if (!(Number.isInteger(window) && window >= 1 && Number.isInteger(stride) && stride >= 1)) {
    throw new Error(`Max pooling needs a whole window and stride of at least 1; got window ${String(window)}, stride ${String(stride)}.`);
  }
  return { window, stride };
}

function outputShapeOf([batch, height, width, channels]: number[], { window, stride }: PoolAttributes): number[] {
  return [batch!, pooledSide(height!, window, stride), pooledSide(width!, window, stride), channels!];
}

/** The offset of each window's maximum (int32, of the pooled shape). */
function argmax({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = inputs.x!;
  const a = attributes(attrs);
  const out = outputShapeOf(x.shape, a);
  return (backend as WebGPUBackend).runWebGPUProgram(program('max_pool_argmax', x.shape, out, a, ['x_'], ARGMAX), [x], 'int32');
}

/** The pooled values, read at the recorded offsets. */
function gather({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, argmax: at } = inputs as { x: tf.TensorInfo; argmax: tf.TensorInfo };
  const a = attributes(attrs);
  return (backend as WebGPUBackend).runWebGPUProgram(program('max_pool_gather', x.shape, at.shape, a, ['x_', 'argmax'], GATHER), [x, at], 'float32');
}

/** dx of shape `inShape` from dy and the recorded offsets. */
function gradient({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, argmax: at } = inputs as { dy: tf.TensorInfo; argmax: tf.TensorInfo };
  const a = attributes(attrs);
  const inShape = (attrs as unknown as { inShape: number[] }).inShape;
  const expected = outputShapeOf(inShape, a);
  if (expected.some((side, i) => side !== dy.shape[i] || side !== at.shape[i])) {
    throw new Error(`A max-pool gradient of input [${inShape.join(', ')}] needs dy and argmax of [${expected.join(', ')}]; got [${dy.shape.join(', ')}] and [${at.shape.join(', ')}].`);
  }
  return (backend as WebGPUBackend).runWebGPUProgram(program('max_pool_grad', inShape, inShape, a, ['dy', 'argmax'], GRADIENT), [dy, at], 'float32');
}

/** Registers the three kernels above for the webgpu backend. */
export async function registerPoolKernels(): Promise<void> {
  const tfc = await import('@tensorflow/tfjs-core');
  for (const [kernelName, kernelFunc] of [
    [MAX_POOL_ARGMAX_KERNEL, argmax],
    [MAX_POOL_GATHER_KERNEL, gather],
    [MAX_POOL_GRAD_KERNEL, gradient],
  ] as const) {
    if (tfc.getKernel(kernelName, 'webgpu')) tfc.unregisterKernel(kernelName, 'webgpu');
    tfc.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
