// A run's time per epoch and memory, from a probe's measurement (probe.ts) and the dataset's size. A probe run at a
// smaller batch than the run's (on a CPU, where the run's batch would take long) is scaled up: time in proportion to
// the images, memory as the parameters and optimizer state (fixed) plus the activations (in proportion).
import type { ProbeMeasurement, TrainingEstimate } from '../vocabulary';

export type { TrainingEstimate };

export interface EstimateInput {
  batchSize: number;
  trainImages: number;
  testImages: number;
  epochs: number;
}


export function estimateTraining(probe: ProbeMeasurement, input: EstimateInput): TrainingEstimate {
  const { batchSize, trainImages, testImages, epochs } = input;
  // As the trainer counts them: the last partial batch is dropped, and a set smaller than a batch is one step.
  const batch = Math.min(batchSize, Math.max(1, trainImages));
  const stepsPerEpoch = Math.max(1, Math.floor(trainImages / batchSize));
  const perImage = probe.stepSeconds / probe.batch;
  const secondsPerStep = probe.batch >= batch ? probe.stepSeconds : perImage * batch;
  const trainSecondsPerEpoch = stepsPerEpoch * secondsPerStep;
  const evaluateSecondsPerEpoch = (testImages / probe.batch) * probe.forwardSeconds;
  const secondsPerEpoch = trainSecondsPerEpoch + evaluateSecondsPerEpoch;
  const activations = Math.max(0, probe.peakBytes - probe.stateBytes);
  return {
    probe,
    scaled: probe.batch < batch,
    stepsPerEpoch,
    secondsPerStep,
    imagesPerSecond: batch / secondsPerStep,
    trainSecondsPerEpoch,
    evaluateSecondsPerEpoch,
    secondsPerEpoch,
    secondsInAll: secondsPerEpoch * epochs,
    peakBytes: probe.stateBytes + (activations * batch) / probe.batch,
    stateBytes: probe.stateBytes,
  };
}

/** The probe's batch: the run's own on a hardware GPU; on a CPU or a software adapter, few enough images to take seconds. */
export function probeBatch(batchSize: number, imageSize: number, accelerated: boolean): number {
  if (accelerated) return batchSize;
  return Math.min(batchSize, imageSize >= 256 ? 4 : 32);
}
