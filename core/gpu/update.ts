// Optimizer updates on WebGPU in place: each pass rewrites one of a parameter's tensors (a moment, the velocity, the
// weight) in its own buffer, reading its old value there, with the same float32 operations as the tensor formulation
// (core/train/optimizer.ts). Adam is three dispatches per parameter and SGD two, instead of about eleven tensor
// operations and their allocations. A TensorFlow.js WebGPU program writes one output, so one pass per rewritten
// tensor; the constants (the learning rate changes every step) are uniforms, so no shader is compiled again.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { AdamConstants, FusedUpdates } from '../cpu/fused-update';
import { flatDispatch } from './gemm';

interface TensorData {
  refCount: number;
  values: unknown;
  dtype: string;
}

/** A pass over one tensor of `shape`, rewriting `result` from its own old value and `inputs`. */
function pass(name: string, shape: number[], inputs: string[], uniforms: string[], body: string): WebGPUProgram {
  return {
    outputShape: shape,
    shaderKey: `alexnet_update_${name}`,
    variableNames: inputs,
    uniforms: uniforms.map((u) => ` ${u} : f32,`).join(''),
    size: true,
    ...flatDispatch(shape),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** Program-defined uniforms, one entry per f32 field (an entry of three values would be laid out as a vec3). */
const f32 = (values: number[]) => values.map((value) => ({ type: 'float32', data: [value] }));

/**
 * The backend's record of each tensor that is to be rewritten in place, or undefined where one can't be: each must
 * own its buffer alone (a tensor sharing it would see the change) and be float32 of `size` elements.
 */
function writable(backend: WebGPUBackend, size: number, tensors: tf.Tensor[]): TensorData[] | undefined {
  const records: TensorData[] = [];
  for (const t of tensors) {
    const data = (backend as unknown as { tensorMap: { get(id: object): TensorData | undefined } }).tensorMap.get(t.dataId);
    if (!data || t.dtype !== 'float32' || t.size !== size || data.refCount !== 1) return undefined;
    records.push(data);
  }
  return records;
}

/** Runs `program` writing into `output` in place; then drops any host copy of its old values the backend kept. */
function rewrite(backend: WebGPUBackend, program: WebGPUProgram, inputs: tf.Tensor[], output: tf.Tensor, record: TensorData, uniforms: number[]): void {
  backend.runWebGPUProgram(program, inputs, 'float32', uniforms.length > 0 ? f32(uniforms) : undefined, output);
  record.values = null; // a read of the tensor (data(), a checkpoint) cached them; they are stale now
}

/** The in-place updates on the webgpu backend, or undefined on any other. */
export function gpuFusedUpdates(): FusedUpdates | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const backend = tf.backend() as WebGPUBackend;
  return {
    // Section 5: v <- momentum v - (decay e) w - e g;  w <- w + v.
    sgd(w, g, velocity, momentum, decayTimesRate, rate) {
      const records = writable(backend, w.size, [w, velocity]);
      if (!records || g.size !== w.size || g.dtype !== 'float32') return false;
      const velocityPass = pass('sgd_velocity', w.shape, ['gradient', 'w'], ['momentum', 'decayRate', 'rate'], 'result[index] = (result[index] * uniforms.momentum - w[index] * uniforms.decayRate) - gradient[index] * uniforms.rate;');
      rewrite(backend, velocityPass, [g, w], velocity, records[1]!, [momentum, decayTimesRate, rate]);
      rewrite(backend, pass('sgd_weight', w.shape, ['velocity'], [], 'result[index] = result[index] + velocity[index];'), [velocity], w, records[0]!, []);
      return true;
    },
    // Adam with L2 decay added to the gradient: g' = g + decay w; m <- b1 m + (1 - b1) g'; v <- b2 v + (1 - b2) g'^2;
    // w <- w - (m / (sqrt(v / c2) + eps)) (e / c1).
    adam(w, g, m, v, c: AdamConstants) {
      const records = writable(backend, w.size, [w, m, v]);
      if (!records || g.size !== w.size || g.dtype !== 'float32') return false;
      // Without decay the tensor formulation uses g itself (g + 0 w differs where w is not finite).
      const decayed = c.decay > 0 ? 'gradient[index] + w[index] * uniforms.decay' : 'gradient[index]';
      // (A shader must use every input it binds: without decay, w is not one.)
      const [names, inputs] = c.decay > 0 ? [['gradient', 'w'], [g, w]] : [['gradient'], [g]];
      const first = pass(`adam_m_${c.decay > 0}`, w.shape, names, ['decay', 'beta1', 'oneMinusBeta1'], `let g = ${decayed}; result[index] = result[index] * uniforms.beta1 + g * uniforms.oneMinusBeta1;`);
      const second = pass(`adam_v_${c.decay > 0}`, w.shape, names, ['decay', 'beta2', 'oneMinusBeta2'], `let g = ${decayed}; result[index] = result[index] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;`);
      const weight = pass('adam_weight', w.shape, ['m', 'v'], ['correction2', 'epsilon', 'rate'], 'result[index] = result[index] - (m[index] / (sqrt(v[index] / uniforms.correction2) + uniforms.epsilon)) * uniforms.rate;');
      rewrite(backend, first, inputs, m, records[1]!, [c.decay, c.beta1, c.oneMinusBeta1]);
      rewrite(backend, second, inputs, v, records[2]!, [c.decay, c.beta2, c.oneMinusBeta2]);
      rewrite(backend, weight, [m, v], w, records[0]!, [c.correction2, c.epsilon, c.step]);
      return true;
    },
  };
}
