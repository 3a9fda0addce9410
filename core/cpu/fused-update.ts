// Optimizer updates in one pass per parameter on the CPU engine: the weight and its slots are rewritten in place in
// the wasm heap, with the same float32 operations as the tensor formulation (kernels/update.c), instead of about ten
// full-size tensor operations and their allocations per parameter and step.
import type * as tf from '@tensorflow/tfjs-core';
import { activeCpuEngine, type CpuEngine } from './wasm-kernels';

/** In-place updates on the CPU engine's heap; each returns false (changing nothing) when it cannot run in place. */
export interface FusedUpdates {
  sgd(w: tf.Variable, g: tf.Tensor, velocity: tf.Variable, momentum: number, decayTimesRate: number, rate: number): boolean;
  adam(w: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, constants: AdamConstants): boolean;
}

/** Adam's constants for one step, each as the float32 the tensor version multiplies or divides by. */
export interface AdamConstants {
  decay: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  correction2: number;
  epsilon: number;
  /** The learning rate over the first bias correction. */
  step: number;
}

/**
 * The heap offsets of float32 tensors that may be rewritten in place: each must own its data alone (a clone or a
 * kept tensor sharing it would see the change) and be as large as `size`.
 */
function writable(engine: CpuEngine, size: number, tensors: tf.Tensor[]): number[] | undefined {
  const offsets: number[] = [];
  for (const t of tensors) {
    const data = engine.backend.dataIdMap.get(t.dataId);
    if (!data || t.dtype !== 'float32' || t.size !== size || data.refCount !== 1) return undefined;
    offsets.push(data.memoryOffset);
  }
  return offsets;
}

function offset(engine: CpuEngine, t: tf.Tensor, size: number): number | undefined {
  const data = engine.backend.dataIdMap.get(t.dataId);
  return data && t.dtype === 'float32' && t.size === size ? data.memoryOffset : undefined;
}

/** The fused updates of the backend in use, or undefined when it is not the CPU engine. */
export function fusedUpdates(): FusedUpdates | undefined {
  const engine = activeCpuEngine();
  if (!engine) return undefined;
  const kernels = engine.local;
  return {
    sgd(w, g, velocity, momentum, decayTimesRate, rate) {
      const places = writable(engine, w.size, [w, velocity]);
      const gradient = offset(engine, g, w.size);
      if (!places || gradient === undefined) return false;
      kernels.sgd_update(places[0]!, gradient, places[1]!, w.size, momentum, decayTimesRate, rate, 0, 1);
      return true;
    },
    adam(w, g, m, v, c) {
      const places = writable(engine, w.size, [w, m, v]);
      const gradient = offset(engine, g, w.size);
      if (!places || gradient === undefined) return false;
      kernels.adam_update(places[0]!, gradient, places[1]!, places[2]!, w.size, c.decay, c.beta1, c.oneMinusBeta1, c.beta2, c.oneMinusBeta2, c.correction2, c.epsilon, c.step, 0, 1);
      return true;
    },
  };
}
