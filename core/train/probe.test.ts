// The probe against what its figures must be by construction: the parameters' bytes from the model's parameter count
// (itself checked against the paper's 60,965,224), the optimizer's state from its definition (SGD keeps one momentum
// per parameter, Adam two moments), a peak that holds at least the state, every gradient and the input batch, and
// activations that grow with the batch; and the estimate's arithmetic against the trainer's way of counting steps.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { countParameters, parameterSpecs } from '../model/alexnet';
import { quickConfig } from '../model/config';
import { estimateTraining, probeBatch } from './estimate';
import { probeTraining, type ProbeMeasurement } from './probe';
import { recipe } from './recipe';

const CONFIG = quickConfig(3);
const PARAMETERS = countParameters(parameterSpecs(CONFIG));

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('probeTraining', () => {
  it('measures the state, the peak and the time of real steps, and frees every tensor', async () => {
    const adam = recipe('small-data', 'quick');
    const sgd = recipe('paper', 'quick');
    expect(adam.optimizer.name).toBe('adam');
    expect(sgd.optimizer.name).toBe('sgd');
    const tensors = tf.memory().numTensors;
    const small = await probeTraining({ config: CONFIG, recipe: adam, batch: 2 });
    const large = await probeTraining({ config: CONFIG, recipe: adam, batch: 6 });
    const momentum = await probeTraining({ config: CONFIG, recipe: sgd, batch: 2 });
    expect(tf.memory().numTensors).toBe(tensors);

    expect(small.parameterBytes).toBe(PARAMETERS * 4);
    expect(small.stateBytes).toBe(PARAMETERS * 4 * 3);
    expect(momentum.stateBytes).toBe(PARAMETERS * 4 * 2);
    const inputBytes = (batch: number) => batch * CONFIG.cropSize * CONFIG.cropSize * 3 * 4;
    // Before the update every gradient exists at once, beside the state and the batch.
    expect(small.peakBytes).toBeGreaterThanOrEqual(small.stateBytes + PARAMETERS * 4 + inputBytes(2));
    expect(large.peakBytes - large.stateBytes).toBeGreaterThan(small.peakBytes - small.stateBytes + inputBytes(4));
    for (const m of [small, large, momentum]) {
      expect(m.steps).toBeGreaterThanOrEqual(2);
      expect(m.stepSeconds).toBeGreaterThan(0);
      expect(m.forwardSeconds).toBeGreaterThan(0);
      // A forward pass alone is cheaper than forward, backward and update.
      expect(m.forwardSeconds).toBeLessThan(m.stepSeconds);
    }
  });

  it('refuses a batch that is not a whole number of images', async () => {
    await expect(probeTraining({ config: CONFIG, recipe: recipe('small-data', 'quick'), batch: 0 })).rejects.toThrow(/whole number of images, at least 1; got 0/);
  });
});

describe('estimateTraining', () => {
  const probe: ProbeMeasurement = { batch: 4, steps: 3, stepSeconds: 2, forwardSeconds: 0.5, parameterBytes: 100, stateBytes: 300, peakBytes: 700 };

  it('scales a smaller probe up to the run: time by images, activations by images, state not at all', () => {
    const e = estimateTraining(probe, { batchSize: 16, trainImages: 100, testImages: 20, epochs: 3 });
    expect(e.scaled).toBe(true);
    expect(e.stepsPerEpoch).toBe(6); // 100 / 16, the partial batch dropped
    expect(e.secondsPerStep).toBe(8); // 2 s for 4 images, 16 images
    expect(e.imagesPerSecond).toBe(2);
    expect(e.trainSecondsPerEpoch).toBe(48);
    expect(e.evaluateSecondsPerEpoch).toBe(2.5); // 20 images at 0.5 s per 4
    expect(e.secondsPerEpoch).toBe(50.5);
    expect(e.secondsInAll).toBe(151.5);
    expect(e.peakBytes).toBe(300 + 400 * 4);
  });

  it('takes a probe at the run batch as it is, and counts a set smaller than a batch as one step of it', () => {
    const same = estimateTraining(probe, { batchSize: 4, trainImages: 9, testImages: 0, epochs: 1 });
    expect(same.scaled).toBe(false);
    expect([same.stepsPerEpoch, same.secondsPerStep, same.peakBytes, same.evaluateSecondsPerEpoch]).toEqual([2, 2, 700, 0]);
    const tiny = estimateTraining(probe, { batchSize: 128, trainImages: 3, testImages: 0, epochs: 1 });
    expect([tiny.stepsPerEpoch, tiny.secondsPerStep, tiny.scaled]).toEqual([1, 2, false]);
  });

  it('probes the run batch on a GPU, and a few images on a CPU', () => {
    expect(probeBatch(128, 256, true)).toBe(128);
    expect(probeBatch(128, 256, false)).toBe(4);
    expect(probeBatch(128, 128, false)).toBe(32);
    expect(probeBatch(8, 128, false)).toBe(8);
  });
});
