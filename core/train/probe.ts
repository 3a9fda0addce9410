// A short measured probe of a run's settings before it starts: a few real training steps of the model on random
// pixels, on the backend in use, timed, with the tensor memory they hold at their peak. The host turns it into an
// estimate of time per epoch and memory for the dataset (estimate.ts); nothing here touches a file.
import * as tf from '@tensorflow/tfjs-core';
import type { ColourStatistics } from '../dataset/types';
import { AlexNet } from '../model/alexnet';
import type { ModelConfig } from '../model/config';
import type { InputTransform } from '../model/input';
import { Rng } from '../random/rng';
import { writeTrainingCrop } from './augment';
import { createOptimizer } from './optimizer';
import type { Recipe } from './recipe';
import { trainStep } from './step';
import type { ProbeMeasurement } from '../vocabulary';

export type { ProbeMeasurement };

export interface ProbeRequest {
  config: ModelConfig;
  recipe: Pick<Recipe, 'optimizer' | 'initialisation' | 'inputScale' | 'learningRate' | 'pcaNoise'>;
  /** Images per probe step: the run's batch on a GPU, fewer on a CPU (time and activations are scaled up from it). */
  batch: number;
  /** Timed steps at least (after one to warm up and one to measure memory). */
  steps?: number;
  /** Timed steps go on until this many seconds have passed or `steps` are done, whichever is later. */
  seconds?: number;
}


/** Tensor bytes as the backend's engine counts them. */
const tensorBytes = () => tf.memory().numBytes;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Runs the probe and frees everything it made. */
export async function probeTraining(request: ProbeRequest): Promise<ProbeMeasurement> {
  const { config, recipe, batch } = request;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`The probe's batch must be a whole number of images, at least 1; got ${batch}.`);
  const before = tensorBytes();
  const model = AlexNet.create(config, recipe.initialisation, 1);
  const parameterBytes = tensorBytes() - before;
  const optimizer = createOptimizer(recipe.optimizer, model.variables());
  try {
    const rng = new Rng(1, 'probe', 0);
    const size = config.imageSize;
    const per = config.cropSize * config.cropSize * 3;
    const images = Array.from({ length: batch }, () => Uint8Array.from({ length: size * size * 3 }, () => rng.integer(256)));
    const transform: InputTransform = { size, crop: config.cropSize, mean: new Float32Array(size * size * 3).fill(127.5), scale: recipe.inputScale };
    // The colour shift's cost does not depend on the statistics' values: any covariance will do.
    const statistics: ColourStatistics | undefined = recipe.pcaNoise ? { channelMean: [127.5, 127.5, 127.5], covariance: [1, 0, 0, 0, 1, 0, 0, 0, 1], eigenvalues: [1, 1, 1], eigenvectors: [1, 0, 0, 0, 1, 0, 0, 0, 1] } : undefined;
    const input = new Float32Array(batch * per);
    const labels = Int32Array.from({ length: batch }, (_v, i) => i % config.classes);
    let stepNumber = 0;
    const step = async () => {
      for (let i = 0; i < batch; i++) writeTrainingCrop(images[i]!, 1, 0, i, transform, statistics, input, i * per);
      const masks = model.dropoutMasks(batch, new Rng(1, 'dropout', stepNumber++));
      await trainStep(model, optimizer, { input, labels, masks }, recipe.learningRate);
    };
    // The first step compiles the backend's kernels and makes the optimizer's state; it is not timed.
    await step();
    const stateBytes = tensorBytes() - before;
    const profile = await tf.profile(step);
    const peakBytes = Math.max(stateBytes, profile.peakBytes - before);
    const wanted = request.steps ?? 2;
    const budget = (request.seconds ?? 0) * 1000;
    const times: number[] = [];
    const started = performance.now();
    while (times.length < wanted || performance.now() - started < budget) {
      const t0 = performance.now();
      await step();
      times.push((performance.now() - t0) / 1000);
    }
    const x = tf.tensor4d(input, [batch, config.cropSize, config.cropSize, 3]);
    const forwards: number[] = [];
    try {
      for (let i = 0; i <= Math.max(1, Math.min(times.length, 3)); i++) {
        const t0 = performance.now();
        const out = tf.tidy(() => model.forward(x, {}));
        await out.data();
        out.dispose();
        // The first pass compiles the forward's own kernels (no dropout, no tape): it is not counted.
        if (i > 0) forwards.push((performance.now() - t0) / 1000);
      }
    } finally {
      x.dispose();
    }
    return { batch, steps: times.length, stepSeconds: median(times), forwardSeconds: median(forwards), parameterBytes, stateBytes, peakBytes };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
