// The in-place optimizer updates on WebGPU against the tensor formulation on the same backend (the path taken when a
// parameter's data is shared), step by step with reads in between (a read caches the values on the host, which an
// in-place write must not leave stale), and that shared data is never rewritten. On lavapipe in CI; reported skipped
// only where no WebGPU adapter exists. The rules themselves are checked against float64 in core/train/optimizer.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { createOptimizer, type OptimizerSettings } from '../train/optimizer';
import { gpuFusedUpdates } from './update';
import { webGpuUnderTest } from './webgpu-under-test';

const SETTINGS: OptimizerSettings = { name: 'sgd', momentum: 0.9, weightDecay: 0.0005, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed, 'update');
  return Float32Array.from({ length: n }, () => rng.normal(0, 1));
}

function owned(data: Float32Array): tf.Variable {
  const initial = tf.tensor1d(data);
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}

interface Trace {
  /** Every parameter's and slot's values after each step. */
  steps: Float32Array[][];
  shared: Float32Array[];
  snapshots: Float32Array[];
}

/** Five steps of `name` on two parameters (1003 values: no multiple of a workgroup; 16), read after every step. */
async function train(name: 'sgd' | 'adam', decay: number, shareData: boolean): Promise<Trace> {
  const variables = [owned(values(1003, 1)), owned(values(16, 2))];
  const optimizer = createOptimizer({ ...SETTINGS, name, weightDecay: decay }, variables);
  const slots = () => [...(optimizer as unknown as { slots: Map<string, tf.Variable> }).slots.values()];
  const trace: Trace = { steps: [], shared: [], snapshots: [] };
  const views: tf.Tensor[] = [];
  await optimizer.state(['p0', 'p1']); // makes the slots
  for (let step = 0; step < 5; step++) {
    if (shareData) {
      // A reshaped view shares a variable's data (or a slot's): the update must then leave that data alone.
      for (const v of [...variables, ...slots()]) {
        views.push(tf.reshape(v, [-1]));
        trace.snapshots.push((await v.data()) as Float32Array);
      }
    }
    const gradients = Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor1d(values(v.size, 10 + 3 * step + i))]));
    optimizer.apply(gradients, step < 3 ? 0.01 : 0.001);
    tf.dispose(Object.values(gradients));
    trace.steps.push(await Promise.all([...variables, ...slots()].map(async (v) => (await v.data()) as Float32Array)));
  }
  trace.shared = await Promise.all(views.map(async (c) => (await c.data()) as Float32Array));
  optimizer.dispose();
  tf.dispose([...variables, ...views]);
  return trace;
}

/** The first element where got and want differ by more than 4 float32 epsilons of the larger magnitude. */
function firstMismatch(got: Float32Array, want: Float32Array): string | undefined {
  if (got.length !== want.length) return `${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const bound = 4 * 2 ** -23 * Math.max(Math.abs(got[i]!), Math.abs(want[i]!));
    if (!(Math.abs(got[i]! - want[i]!) <= bound)) return `element ${i}: ${got[i]} where ${want[i]} was expected`;
  }
  return undefined;
}

const webgpuMissing = webGpuUnderTest();

describe('in-place optimizer updates on WebGPU', () => {
  it('are offered on the webgpu backend only', async (context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    expect(gpuFusedUpdates()).toBeUndefined();
    await tf.setBackend('webgpu');
    expect(gpuFusedUpdates()).toBeDefined();
    await tf.setBackend('cpu');
  });

  const cases = [
    { name: 'sgd', decay: 0.0005 },
    { name: 'adam', decay: 0.0005 },
    { name: 'adam', decay: 0 },
  ] as const;
  it.for(cases)('$name (decay $decay): the tensor operations\' values at every step, and nothing shared changed', async (c, context) => {
    if (webgpuMissing() !== undefined) return context.skip(`no WebGPU here: ${webgpuMissing()}`);
    await tf.setBackend('webgpu');
    const before = tf.memory().numTensors;
    const fused = await train(c.name, c.decay, false);
    const tensors = await train(c.name, c.decay, true); // every parameter and slot shared at every step: the tensor path
    expect(tf.memory().numTensors, 'tensors left').toBe(before);
    await tf.setBackend('cpu');
    // float32 either way; a shader compiler may contract a multiply and an add into one fused step.
    fused.steps.forEach((values, step) => values.forEach((v, i) => expect(firstMismatch(v, tensors.steps[step]![i]!), `step ${step + 1}, tensor ${i}`).toBeUndefined()));
    expect(tensors.shared.length).toBeGreaterThan(0);
    tensors.shared.forEach((view, i) => expect(Array.from(view), `shared tensor ${i}`).toEqual(Array.from(tensors.snapshots[i]!)));
    // And the updates did something at every step (the reads are not stale).
    for (let step = 1; step < fused.steps.length; step++) expect(Array.from(fused.steps[step]![0]!)).not.toEqual(Array.from(fused.steps[step - 1]![0]!));
  });
});
