// Training and forward images/s of the model on random input, measured as the trainer's step runs (the benchmark of
// `alexnet bench` and of the GPU machine's script), with an optional kernel-by-kernel profile of one more step.
import * as tf from '@tensorflow/tfjs-core';
import { AlexNet } from '../model/alexnet';
import { paperConfig, quickConfig, type Preset } from '../model/config';
import { Rng } from '../random/rng';
import { createOptimizer } from '../train/optimizer';
import { recipe } from '../train/recipe';
import { profileStep, type StepProfile } from './kernel-profile';

export interface ModelSpeed {
  /** Training images/s: forward with dropout, backward, the paper's SGD update, the loss read back. */
  train: number;
  /** Forward images/s (no dropout, no tape), the logits read back. */
  forward: number;
  /** Live tensors after the measurement (the model's and the optimizer's own). */
  tensors: number;
  /** On WebGPU: bytes of GPU buffers TensorFlow.js holds after the timed steps, its pool of freed ones included. */
  gpuAllocatedBytes?: number;
  profile?: StepProfile;
}

/** Seconds per call of `body`, after `warmup` calls, over `steps` calls (the last call's data is awaited). */
export async function secondsPerCall(warmup: number, steps: number, body: () => Promise<void>): Promise<number> {
  for (let i = 0; i < warmup; i++) await body();
  const started = performance.now();
  for (let i = 0; i < steps; i++) await body();
  return (performance.now() - started) / 1000 / steps;
}

/** Training and forward images/s of a model on random input, as the trainer's step does it. */
export async function measureModel(
  preset: Preset,
  batch: number,
  classes: number,
  warmup: number,
  steps: number,
  profile: boolean,
): Promise<ModelSpeed> {
  const config = preset === 'paper' ? paperConfig(classes) : quickConfig(classes);
  const model = AlexNet.create(config, 'paper', 0);
  const optimizer = createOptimizer(recipe('paper', preset).optimizer, model.variables());
  const x = tf.randomNormal([batch, config.cropSize, config.cropSize, 3]) as tf.Tensor4D;
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % config.classes), 'int32'), config.classes));
  const rng = new Rng(0, 'bench');
  const variables = model.variables();
  // A training step as the trainer does it: forward with dropout, backward, SGD update, loss read back.
  const gradients = (masks: ReturnType<AlexNet['dropoutMasks']>) =>
    tf.variableGrads(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(model.forward(x, { dropoutMasks: masks }))), 1))) as tf.Scalar, variables);
  const trainStep = async () => {
    const masks = model.dropoutMasks(batch, rng);
    const { value, grads } = gradients(masks);
    optimizer.apply(grads, 0.001);
    await value.data();
    tf.dispose([value, ...Object.values(grads), ...(masks ?? [])]);
  };
  const forward = async () => {
    const logits = tf.tidy(() => model.forward(x));
    await logits.data();
    logits.dispose();
  };
  try {
    const trainSeconds = await secondsPerCall(warmup, steps, trainStep);
    const forwardSeconds = await secondsPerCall(Math.min(3, warmup), steps, forward);
    const memory = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
    const measured: ModelSpeed = {
      train: batch / trainSeconds,
      forward: batch / forwardSeconds,
      tensors: memory.numTensors,
      ...(memory.numBytesAllocatedInGPU !== undefined ? { gpuAllocatedBytes: memory.numBytesAllocatedInGPU } : {}),
    };
    if (!profile) return measured;
    // One more step, kernel by kernel (after the timed ones, so that its timers do not slow them).
    const masks = model.dropoutMasks(batch, rng);
    try {
      const profiled = await profileStep(() => gradients(masks), (grads) => optimizer.apply(grads, 0.001));
      return { ...measured, profile: profiled };
    } finally {
      tf.dispose(masks ?? []);
    }
  } finally {
    tf.dispose([x, labels]);
    optimizer.dispose();
    model.dispose();
  }
}
