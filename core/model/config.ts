// The model's configuration: the paper's two-tower AlexNet (section 3), its ablation switches, and the `quick` preset.
import type { Ablations, Preset } from '../vocabulary';

/** Which architecture family a configuration belongs to; 'quick' is NOT the paper's model and is labelled so. */
export type { Preset };

export interface ModelConfig {
  /** 'paper' is section 3's network; 'quick' keeps the two-tower topology, narrower and on smaller input. */
  preset: Preset;
  /** Outputs of fc8, one per class. Range 2 to 100,000. */
  classes: number;
  /** Side of the square image that crops are taken from. Paper: 256 (section 2). Quick: 128. */
  imageSize: number;
  /** Side of the square crop fed to the network. Paper: 227 (gives conv1's 55x55 maps). Quick: 115. */
  cropSize: number;
  /**
   * Number of towers (section 3.2). Paper: 2. With 1 (the paper's one-GPU comparison net) every conv layer has
   * half the kernels except conv5, whose width is kept (section 3.2's footnote), and the fc layers are unchanged.
   */
  towers: 1 | 2;
  /** Kernels of conv1..conv5 summed over both towers. Paper: 96, 256, 384, 384, 256. */
  convWidths: [number, number, number, number, number];
  /** Neurons of fc6 and fc7. Paper: 4096, 4096. */
  fcWidths: [number, number];
  /** Local response normalisation after the ReLUs of conv1 and conv2 (section 3.3). Paper: on. */
  lrn: boolean;
  /** Overlapping max pooling 3x3 stride 2 (section 3.4); off means 2x2 stride 2. Paper: on. */
  overlappingPooling: boolean;
  /** Dropout 0.5 on the outputs of fc6 and fc7 while training (section 4.2). Paper: on. */
  dropout: boolean;
}

/** The paper's LRN constants (section 3.3): k = 2, n = 5, alpha = 1e-4, beta = 0.75. */
export const LRN = { k: 2, n: 5, alpha: 1e-4, beta: 0.75 } as const;
/** Dropout probability (section 4.2). */
export const DROPOUT_RATE = 0.5;

export const PAPER_CONV_WIDTHS: ModelConfig['convWidths'] = [96, 256, 384, 384, 256];

/** Fewest and most classes a model may have: a softmax over one class is always 1 and learns nothing. */
export const MIN_CLASSES = 2;
export const MAX_CLASSES = 100_000;

/**
 * Refuses a class count outside 2 to 100,000, naming it. Called when a configuration is made, so that a dataset of
 * one class is refused before a run is created for it, not when its first step fails.
 */
export function checkClasses(classes: number): void {
  if (!Number.isInteger(classes) || classes < MIN_CLASSES || classes > MAX_CLASSES) {
    throw new Error(
      `A model of ${classes} ${classes === 1 ? 'class' : 'classes'} is not allowed; it needs ${MIN_CLASSES} to ${MAX_CLASSES.toLocaleString('en')} classes (fc8 has one output per class, and a softmax over one class learns nothing).`,
    );
  }
}

export function paperConfig(classes: number): ModelConfig {
  checkClasses(classes);
  return {
    preset: 'paper',
    classes,
    imageSize: 256,
    cropSize: 227,
    towers: 2,
    convWidths: [...PAPER_CONV_WIDTHS],
    fcWidths: [4096, 4096],
    lrn: true,
    overlappingPooling: true,
    dropout: true,
  };
}

/**
 * Not the paper's model: the same two-tower topology (same kernel sizes, strides, LRN, pooling, dropout, tower
 * connectivity) at a quarter of the width and half the input side, so that a demo trains in minutes on two CPU cores.
 */
export function quickConfig(classes: number): ModelConfig {
  checkClasses(classes);
  return {
    preset: 'quick',
    classes,
    imageSize: 128,
    cropSize: 115,
    towers: 2,
    convWidths: [24, 64, 96, 96, 64],
    fcWidths: [256, 256],
    lrn: true,
    overlappingPooling: true,
    dropout: true,
  };
}

/** The model's part of the paper's ablations (sections 3.2-3.4, 4.2; the PCA noise of 4.1 is the recipe's). */
export function applyAblations(config: ModelConfig, ablations: Partial<Ablations>): ModelConfig {
  return {
    ...config,
    towers: ablations.oneTower ? 1 : config.towers,
    lrn: ablations.noLrn ? false : config.lrn,
    overlappingPooling: ablations.nonOverlappingPooling ? false : config.overlappingPooling,
    dropout: ablations.noDropout ? false : config.dropout,
  };
}

/** Kernels per tower of each conv layer, after the one-tower rule of section 3.2. */
export function towerWidths(config: ModelConfig): number[] {
  const [c1, c2, c3, c4, c5] = config.convWidths;
  if (config.towers === 2) return [c1, c2, c3, c4, c5].map((w) => w / 2);
  return [c1 / 2, c2 / 2, c3 / 2, c4 / 2, c5];
}

export function validateConfig(config: ModelConfig): void {
  checkClasses(config.classes);
  if (config.cropSize > config.imageSize) {
    throw new Error(`Crop size ${config.cropSize} is larger than the image size ${config.imageSize}.`);
  }
  for (const w of config.convWidths) {
    if (!Number.isInteger(w) || w < 2 || w % 2 !== 0) {
      throw new Error(`Conv width ${w} is not allowed; use an even integer of at least 2 (half goes to each tower).`);
    }
  }
  const shapes = layerShapes(config);
  const pool5 = shapes.find((s) => s.name === 'pool5')!;
  if (pool5.shape[0]! < 1) {
    throw new Error(`Crop size ${config.cropSize} is too small: the maps vanish before pool5.`);
  }
}

export interface LayerShape {
  name: string;
  /** Output shape without the batch dimension, [height, width, channels] or [features]; per tower for conv layers. */
  shape: number[];
}

/** Output size of a valid convolution or pooling window. */
function windowOutput(size: number, window: number, stride: number): number {
  return Math.floor((size - window) / stride) + 1;
}

/** Every layer's output shape, computed from the paper's arithmetic alone (an independent check of the model). */
export function layerShapes(config: ModelConfig): LayerShape[] {
  const widths = towerWidths(config);
  const [poolWindow, poolStride] = config.overlappingPooling ? [3, 2] : [2, 2];
  const s1 = windowOutput(config.cropSize, 11, 4);
  const p1 = windowOutput(s1, poolWindow, poolStride);
  const p2 = windowOutput(p1, poolWindow, poolStride); // conv2 keeps the size (5x5, padding 2)
  const p5 = windowOutput(p2, poolWindow, poolStride); // conv3-5 keep the size (3x3, padding 1)
  const [w1, w2, w3, w4, w5] = widths as [number, number, number, number, number];
  return [
    { name: 'conv1', shape: [s1, s1, w1] },
    { name: 'pool1', shape: [p1, p1, w1] },
    { name: 'conv2', shape: [p1, p1, w2] },
    { name: 'pool2', shape: [p2, p2, w2] },
    { name: 'conv3', shape: [p2, p2, w3] },
    { name: 'conv4', shape: [p2, p2, w4] },
    { name: 'conv5', shape: [p2, p2, w5] },
    { name: 'pool5', shape: [p5, p5, w5] },
    { name: 'fc6', shape: [config.fcWidths[0]] },
    { name: 'fc7', shape: [config.fcWidths[1]] },
    { name: 'fc8', shape: [config.classes] },
  ];
}
