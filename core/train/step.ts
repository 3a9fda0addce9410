// One training step (section 5): forward with dropout, softmax cross-entropy, gradients, one optimizer update.
// It touches no file or host API, so the same step runs in Node (Dawn or the CPU) and in a browser page's WebGPU.
import * as tf from '@tensorflow/tfjs-core';
import type { AlexNet } from '../model/alexnet';
import type { Optimizer } from './optimizer';

export interface StepBatch {
  /**
   * [batch, crop, crop, 3] float32, already cropped, reflected, mean-subtracted, scaled and colour-shifted: on the host,
   * or a tensor made on the GPU (the step disposes it).
   */
  input: Float32Array | tf.Tensor4D;
  /** [batch] class indices. */
  labels: Int32Array;
  /** Dropout masks for fc6 and fc7 ([batch, width] each), or undefined when the model has no dropout. */
  masks: [tf.Tensor2D, tf.Tensor2D] | undefined;
}

export interface StepResult {
  /** Mean cross-entropy of the batch before the update. */
  loss: number;
  /** [batch, classes] logits before the update. */
  logits: Float32Array;
}

/** Runs one step and updates the model's variables; disposes every tensor it made (the masks too). */
export async function trainStep(model: AlexNet, optimizer: Optimizer, batch: StepBatch, learningRate: number): Promise<StepResult> {
  const { cropSize, classes } = model.config;
  const size = batch.labels.length;
  const x = batch.input instanceof Float32Array ? tf.tensor4d(batch.input, [size, cropSize, cropSize, 3]) : batch.input;
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes));
  let logits: tf.Tensor2D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(x, { dropoutMasks: batch.masks });
    logits = tf.keep(out);
    return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(out)), 1))) as tf.Scalar;
  }, model.variables());
  let packed: tf.Tensor1D;
  try {
    optimizer.apply(grads, learningRate);
    // One read for the loss and the logits together: one wait on the device per step, not two.
    packed = tf.tidy(() => tf.concat([tf.reshape(value, [1]), tf.reshape(logits!, [-1])]) as tf.Tensor1D);
  } finally {
    // Released before the read: the device runs the step's work in order, so what is queued keeps its inputs, and
    // the host can assemble and queue the next step while this one runs.
    tf.dispose([x, y, value, logits!, ...Object.values(grads), ...(batch.masks ?? [])]);
  }
  try {
    const values = (await packed.data()) as Float32Array;
    return { loss: values[0]!, logits: values.slice(1) };
  } finally {
    packed.dispose();
  }
}
