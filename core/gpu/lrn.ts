// Local response normalisation (section 3.3) on WebGPU, forward and backward one dispatch each. TensorFlow.js's own
// WebGPU gradient loops over every channel for every output (O(C^2) per element); the engine's composite of
// differentiable ops took about 21 full-tensor dispatches a step. Here each thread computes one element from the
// window around it: 2r + 1 loads forward, 4r + 1 of x and 2r + 1 of y and dy backward.
//
// b_d = a_d s_d^-beta with s_d = bias + alpha sum_{j in W(d)} a_j^2 and W(d) = [d - r, d + r] within the channels;
// da_i = db_i s_i^-beta - 2 alpha beta a_i sum_{j in W(i)} db_j b_j / s_j (W is symmetric: i in W(j) iff j in W(i)).
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram, webgpu_util as WebGpuUtil } from '@tensorflow/tfjs-backend-webgpu';

/** TensorFlow.js's WebGPU helpers, loaded with the backend (only where WebGPU is used). */
let util: typeof WebGpuUtil;

interface LrnAttributes {
  depthRadius: number;
  bias: number;
  alpha: number;
  beta: number;
}

const UNIFORMS = 'depthRadius : i32, bias : f32, alpha : f32, beta : f32,';

function program(shape: number[], shaderKey: string, variableNames: string[], body: string): WebGPUProgram {
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = util.flatDispatchLayout(shape);
  return {
    outputShape: shape,
    shaderKey,
    variableNames,
    uniforms: UNIFORMS,
    workgroupSize,
    size: true,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, shape, workgroupSize),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getOutputCoords();
          let b = coords[0];
          let r = coords[1];
          let c = coords[2];
          let d = coords[3];
          let depth = uniforms.outShape[3];
          let radius = uniforms.depthRadius;
          ${body}
        }
      }`,
  };
}

const FORWARD = `
          var sum = 0.0;
          for (var j = max(0, d - radius); j < min(depth, d + radius + 1); j++) {
            let v = getX(b, r, c, j);
            sum += v * v;
          }
          setOutputAtIndex(index, getX(b, r, c, d) * pow(uniforms.bias + uniforms.alpha * sum, -uniforms.beta));`;

const BACKWARD = `
          var own = 0.0;
          for (var m = max(0, d - radius); m < min(depth, d + radius + 1); m++) {
            let v = getX(b, r, c, m);
            own += v * v;
          }
          var acc = 0.0;
          for (var j = max(0, d - radius); j < min(depth, d + radius + 1); j++) {
            var sum = 0.0;
            for (var m = max(0, j - radius); m < min(depth, j + radius + 1); m++) {
              let v = getX(b, r, c, m);
              sum += v * v;
            }
            acc += getDy(b, r, c, j) * getY(b, r, c, j) / (uniforms.bias + uniforms.alpha * sum);
          }
          let s = uniforms.bias + uniforms.alpha * own;
          setOutputAtIndex(index, getDy(b, r, c, d) * pow(s, -uniforms.beta) - 2.0 * uniforms.alpha * uniforms.beta * getX(b, r, c, d) * acc);`;

function uniformData({ depthRadius, bias, alpha, beta }: LrnAttributes) {
  return [
    { type: 'int32', data: [depthRadius] },
    { type: 'float32', data: [bias] },
    { type: 'float32', data: [alpha] },
    { type: 'float32', data: [beta] },
  ];
}

function lrn({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = inputs.x!;
  return (backend as WebGPUBackend).runWebGPUProgram(program(x.shape, 'alexnet_lrn', ['x'], FORWARD), [x], 'float32', uniformData(attrs as unknown as LrnAttributes));
}

function lrnGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, y, dy } = inputs as { x: tf.TensorInfo; y: tf.TensorInfo; dy: tf.TensorInfo };
  return (backend as WebGPUBackend).runWebGPUProgram(program(x.shape, 'alexnet_lrn_grad', ['x', 'y', 'dy'], BACKWARD), [x, y, dy], 'float32', uniformData(attrs as unknown as LrnAttributes));
}

/** Replaces TensorFlow.js's WebGPU LRN and its gradient with the kernels above (once the webgpu backend is registered). */
export async function registerLrnKernels(): Promise<void> {
  ({ webgpu_util: util } = await import('@tensorflow/tfjs-backend-webgpu'));
  for (const [kernelName, kernelFunc] of [
    ['LRN', lrn],
    ['LRNGrad', lrnGrad],
  ] as const) {
    if (tf.getKernel(kernelName, 'webgpu')) tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
