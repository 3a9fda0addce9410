// Evaluates a model on a split (paper section 6): top-1/top-5 error from the centre crop or ten crops, loss, confusion.
import * as tf from '@tensorflow/tfjs-core';
import type { AlexNet } from '../model/alexnet';
import { DamagedRecordError } from '../dataset/damaged-record';
import type { ImageEntry } from '../dataset/types';
import { NO_SHIFT, writeCrop, type CropSpec, type InputTransform } from '../model/input';
import type { ImageSource } from '../dataset/image-source';
import { confusionMatrix, perClassAccuracy } from './confusion';
import { crossEntropy, errorRates, softmax } from './metrics';
import { averageTenCrop, centreCropOffset, tenCropOffsets } from './ten-crop';
import type { CropMode } from '../vocabulary';

export type { CropMode };

export interface Evaluation {
  crops: CropMode;
  count: number;
  top1Error: number;
  top5Error: number;
  /** Mean cross-entropy of the (averaged) predictions. */
  loss: number;
  /** [images, classes] softmax outputs (averaged over crops in ten-crop mode), for every image given. */
  probabilities: Float32Array;
  /** The true classes of the usable images (all but `damaged`), in order. */
  labels: Int32Array;
  confusion: number[][];
  perClassAccuracy: (number | null)[];
  /** Fraction of fc7 units that were zero for every image (dead ReLUs). */
  deadReluFraction: number;
  /** Fraction of images given the most common top-1 answer (1 means a constant output). */
  dominantPredictionFraction: number;
  /** Positions (in the entries given) of images damaged in the cache: left out of every figure above but `probabilities`. */
  damaged: number[];
}

export interface EvaluateOptions {
  crops?: CropMode;
  batchSize?: number;
  /** Called with the fc7 features [count, width] of each batch (centre mode only), e.g. to store them. */
  onFeatures?: (first: number, features: Float32Array) => void;
  /** Called after each part with the images done; with it, parts are one batch of images, so that it moves. */
  onProgress?: (done: number, total: number) => void;
  /** Checked between parts: once aborted, the evaluation stops and throws an AbortError. */
  signal?: AbortSignal;
}

/** The crops an image is evaluated on: one centre crop, or the paper's ten (section 4.1). */
export function evaluationCrops(mode: CropMode, size: number, crop: number): CropSpec[] {
  if (mode === 'centre') {
    const o = centreCropOffset(size, crop);
    return [{ top: o, left: o, flip: false }];
  }
  return tenCropOffsets(size, crop);
}

/** Runs the network on images without dropout; returns softmax probabilities [images * crops, classes]. */
export async function predictImages(
  model: AlexNet,
  images: ArrayLike<number>[],
  transform: InputTransform,
  crops: CropSpec[],
  batchSize: number,
  onFeatures?: (first: number, features: Float32Array) => void,
  onBatch?: (fc7Active: Uint8Array) => void,
): Promise<Float32Array> {
  const classes = model.config.classes;
  const per = transform.crop * transform.crop * 3;
  const out = new Float32Array(images.length * crops.length * classes);
  const imagesPerBatch = Math.max(1, Math.floor(batchSize / crops.length));
  for (let first = 0; first < images.length; first += imagesPerBatch) {
    const count = Math.min(imagesPerBatch, images.length - first);
    const input = new Float32Array(count * crops.length * per);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < crops.length; c++) writeCrop(images[first + i]!, crops[c]!, transform, NO_SHIFT, input, (i * crops.length + c) * per);
    }
    let fc7: tf.Tensor | undefined;
    const logits = tf.tidy(() => {
      const x = tf.tensor4d(input, [count * crops.length, transform.crop, transform.crop, 3]);
      return model.forward(x, {
        tap: (name, t) => {
          if (name === 'fc7') fc7 = tf.keep(t);
        },
      });
    });
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    if (fc7) {
      const features = (await fc7.data()) as Float32Array;
      fc7.dispose();
      if (onFeatures && crops.length === 1) onFeatures(first, features);
      if (onBatch) {
        const width = model.config.fcWidths[1];
        const active = new Uint8Array(width);
        for (let r = 0; r < count * crops.length; r++) for (let u = 0; u < width; u++) if (features[r * width + u]! > 0) active[u] = 1;
        onBatch(active);
      }
    }
    out.set(softmax(values, classes), first * crops.length * classes);
  }
  return out;
}

export async function evaluate(
  model: AlexNet,
  source: ImageSource,
  entries: ImageEntry[],
  transform: InputTransform,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const mode = options.crops ?? 'centre';
  const classes = model.config.classes;
  const crops = evaluationCrops(mode, transform.size, transform.crop);
  const damaged: number[] = [];
  const width = model.config.fcWidths[1];
  const everActive = new Uint8Array(width);
  const batchSize = options.batchSize ?? 128;
  // Images per part: a few batches' worth, or when progress is reported one batch's, and at most a quarter of the
  // split (ten crops of a large split take minutes on a CPU, and the page shows how far they are).
  const chunk = Math.max(1, options.onProgress ? Math.min(Math.floor(batchSize / crops.length), Math.ceil(entries.length / 4)) : batchSize * 4);
  const parts: Float32Array[] = [];
  for (let first = 0; first < entries.length; first += chunk) {
    // A cancellation arrives as a message: let it be handled before the next part.
    if (options.signal) await new Promise((resolve) => setTimeout(resolve, 0));
    if (options.signal?.aborted) throw Object.assign(new Error(`The evaluation was cancelled after ${first} of ${entries.length} images.`), { name: 'AbortError', code: 'E_CANCELLED' });
    const slice = entries.slice(first, first + chunk);
    // A damaged image is run as the mean image (so that positions stay aligned) and left out of the figures.
    const images = slice.map((e, i) => {
      try {
        return source.image(e.record);
      } catch (error) {
        if (!(error instanceof DamagedRecordError)) throw error;
        damaged.push(first + i);
        return source.mean();
      }
    });
    const probabilities = await predictImages(
      model,
      images,
      transform,
      crops,
      batchSize,
      options.onFeatures ? (f, features) => options.onFeatures!(first + f, features) : undefined,
      (active) => {
        for (let u = 0; u < width; u++) everActive[u]! |= active[u]!;
      },
    );
    parts.push(mode === 'ten' ? averageTenCrop(probabilities, classes) : probabilities);
    options.onProgress?.(Math.min(first + chunk, entries.length), entries.length);
  }
  const probabilities = new Float32Array(entries.length * classes);
  let offset = 0;
  for (const p of parts) {
    probabilities.set(p, offset);
    offset += p.length;
  }
  // The figures are over the usable images only.
  const left = new Set(damaged);
  const usable = entries.map((_, i) => i).filter((i) => !left.has(i));
  const labels = Int32Array.from(usable.map((i) => entries[i]!.label));
  const scores = new Float32Array(usable.length * classes);
  usable.forEach((i, j) => scores.set(probabilities.subarray(i * classes, (i + 1) * classes), j * classes));
  const rates = errorRates(scores, classes, labels);
  const predictions = new Int32Array(usable.length);
  const votes = new Array<number>(classes).fill(0);
  for (let i = 0; i < usable.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[i * classes + c]! > scores[i * classes + best]!) best = c;
    predictions[i] = best;
    votes[best]!++;
  }
  const logProbabilities = scores.map((p) => Math.log(Math.max(p, 1e-30)));
  const confusion = confusionMatrix(labels, predictions, classes);
  let dead = 0;
  for (let u = 0; u < width; u++) if (!everActive[u]) dead++;
  return {
    crops: mode,
    count: usable.length,
    top1Error: rates.top1Error,
    top5Error: rates.top5Error,
    // log-softmax of log-probabilities is themselves, so cross-entropy on them is the mean negative log-likelihood.
    loss: usable.length > 0 ? crossEntropy(logProbabilities, classes, labels) : NaN,
    probabilities,
    labels,
    confusion,
    perClassAccuracy: perClassAccuracy(confusion),
    deadReluFraction: dead / width,
    dominantPredictionFraction: usable.length > 0 ? Math.max(...votes) / usable.length : 0,
    damaged,
  };
}
