// The workbench's words, declared once: the kinds of run, split, crop and notice, the paper's ablations, a
// prediction, and the limits of a run's settings. The contract, the run log, the engine, the request schemas, the CLI
// and the renderer all take them from here. It imports nothing, so that every process (and the page, which may import
// its values) can use it.

/** Where a run is in its life. 'diverged': stopped because its loss became NaN or infinite. */
export const RUN_STATUSES = ['created', 'running', 'paused', 'completed', 'stopped', 'interrupted', 'failed', 'diverged'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** 'paper': the network of section 3 (60,965,224 parameters for 1,000 classes); 'quick': a quarter of its width on 115x115 crops. */
export const PRESETS = ['paper', 'quick'] as const;
export type Preset = (typeof PRESETS)[number];

/** 'paper': SGD as in section 5; 'small-data': Adam, which learns on a few hundred images where the paper's SGD does not. */
export const RECIPE_NAMES = ['paper', 'small-data'] as const;
export type RecipeName = (typeof RECIPE_NAMES)[number];

export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** 'centre': the 224x224 (quick: 115x115) centre crop; 'ten': the four corners, the centre and their reflections (section 4.1). */
export const CROP_MODES = ['centre', 'ten'] as const;
export type CropMode = (typeof CROP_MODES)[number];

export const NOTICE_LEVELS = ['info', 'warning', 'error'] as const;
export type NoticeLevel = (typeof NOTICE_LEVELS)[number];

/** The paper's ablations, each a switch on top of a preset. */
export interface Ablations {
  /** Section 3.2: one tower with half the kernels in every conv layer but conv5. */
  oneTower: boolean;
  /** Section 3.3: no local response normalisation. */
  noLrn: boolean;
  /** Section 3.4: 2x2 stride-2 pooling instead of overlapping 3x3 stride 2. */
  nonOverlappingPooling: boolean;
  /** Section 4.2: no dropout on fc6 and fc7. */
  noDropout: boolean;
  /** Section 4.1: no PCA colour noise. */
  noPcaNoise: boolean;
}

export const ABLATION_NAMES = ['oneTower', 'noLrn', 'nonOverlappingPooling', 'noDropout', 'noPcaNoise'] as const satisfies readonly (keyof Ablations)[];

/** No ablation switched on. */
export const NO_ABLATIONS: Ablations = { oneTower: false, noLrn: false, nonOverlappingPooling: false, noDropout: false, noPcaNoise: false };

/** One class the model predicts for an image, with its softmax probability. */
export interface Prediction {
  label: string;
  labelIndex: number;
  probability: number;
}

/**
 * One epoch of a run as every part records it: the trainer's event (whose validation figures are always numbers), the
 * run log's row, the host's event to the page and the page's tables. Validation figures are null without a test split.
 */
export interface EpochRecord {
  /** 1-based: epochs done. */
  epoch: number;
  /** Means over the epoch's steps, of the augmented training crops. */
  trainLoss: number;
  trainTop1Error: number;
  trainTop5Error: number;
  /** Of the test split's centre crops after the epoch. */
  validationLoss: number | null;
  validationTop1Error: number | null;
  validationTop5Error: number | null;
  /** The rate the epoch trained at. */
  learningRate: number;
  seconds: number;
}

/** The ranges a run's settings may take, wherever they are entered (the CLI, the app's requests, the Train form). */
export const LIMITS = {
  epochs: { min: 1, max: 10_000 },
  batchSize: { min: 1, max: 4096 },
  patience: { min: 1, max: 1000 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  /** Exclusive of 0. */
  learningRate: { max: 10 },
} as const;

/** A probe of a run's settings: a few training steps timed on the backend in use (core/train/probe.ts). */
export interface ProbeMeasurement {
  batch: number;
  /** Timed steps and their median, in seconds, each with the host's assembly of its batch (crops, colour shift). */
  steps: number;
  stepSeconds: number;
  /** One forward pass of a batch as evaluation makes it (no dropout, no gradients), median of as many. */
  forwardSeconds: number;
  /** Bytes of the model's parameters, and of the parameters with the optimizer's state (momentum, Adam's moments). */
  parameterBytes: number;
  stateBytes: number;
  /** The most tensor bytes held at once during a step, the state included. */
  peakBytes: number;
}

/** A run's time per epoch and memory before it starts, from a probe (core/train/estimate.ts). */
export interface TrainingEstimate {
  /** What was measured, and at what batch. */
  probe: ProbeMeasurement;
  /** True when the probe's batch was smaller than the run's and the figures below are scaled from it. */
  scaled: boolean;
  stepsPerEpoch: number;
  secondsPerStep: number;
  imagesPerSecond: number;
  /** Training steps of one epoch, and the evaluation of the test split that ends it (centre crops). */
  trainSecondsPerEpoch: number;
  evaluateSecondsPerEpoch: number;
  secondsPerEpoch: number;
  secondsInAll: number;
  /** Tensor memory at a step's peak: parameters, optimizer state, gradients and activations. */
  peakBytes: number;
  stateBytes: number;
}
