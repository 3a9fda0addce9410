// Builds network inputs from cached uint8 images: crops, reflections, mean subtraction and PCA colour noise.
//
// Paper section 4.1: random 227x227 patches of the 256x256 images and their horizontal reflections, and the
// colour augmentation that adds [p1, p2, p3][a1 l1, a2 l2, a3 l3]^T to every pixel, where p and l are the
// eigenvectors and eigenvalues of the 3x3 covariance of RGB pixel values and a ~ N(0, 0.1) is drawn once per image
// each time it is used. Everything is computed on the host from a seeded Rng, so a run is identical on any backend.
import type { ColourStatistics } from '../dataset/types';
import { Rng } from '../random/rng';

/** Standard deviation of the colour-noise coefficients (section 4.1). */
export const PCA_NOISE_STD = 0.1;

/** Where one crop comes from. */
export interface CropSpec {
  top: number;
  left: number;
  flip: boolean;
}

/**
 * Shrinks a square HWC RGB image by an integer factor with a box filter (exact averages). Used for presets whose
 * image size is smaller than the 256 of the cache; being linear, it commutes with taking the mean image.
 */
export function downscale(src: ArrayLike<number>, size: number, factor: number, out?: Float32Array): Float32Array {
  if (!Number.isInteger(factor) || factor < 1 || size % factor !== 0) {
    throw new Error(`Cannot shrink a ${size}x${size} image by ${factor}; the factor must be a whole divisor of ${size}.`);
  }
  const side = size / factor;
  const result = out ?? new Float32Array(side * side * 3);
  const norm = 1 / (factor * factor);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = (y * factor + dy) * size;
          for (let dx = 0; dx < factor; dx++) sum += src[(row + x * factor + dx) * 3 + c]!;
        }
        result[(y * side + x) * 3 + c] = sum * norm;
      }
    }
  }
  return result;
}

/** A random crop position and reflection (section 4.1), from the image's own generator. */
export function randomCrop(rng: Rng, size: number, crop: number): CropSpec {
  const range = size - crop + 1;
  return { top: rng.integer(range), left: rng.integer(range), flip: rng.uniform() < 0.5 };
}

/**
 * The colour shift added to every pixel of one image, in 0..255 units: V (a * l) with a ~ N(0, 0.1).
 * The eigenvalues are taken in the 0..1 scale (as in the common reading of section 4.1, e.g. fb.resnet.torch and
 * the PyTorch reference) and the shift converted back to 0..255, so the noise is the same whatever the input scale.
 */
export function pcaShift(statistics: ColourStatistics, rng: Rng): [number, number, number] {
  const a = [rng.normal(0, PCA_NOISE_STD), rng.normal(0, PCA_NOISE_STD), rng.normal(0, PCA_NOISE_STD)];
  const v = statistics.eigenvectors;
  const shift: [number, number, number] = [0, 0, 0];
  for (let row = 0; row < 3; row++) {
    let s = 0;
    for (let j = 0; j < 3; j++) s += v[row * 3 + j]! * a[j]! * (statistics.eigenvalues[j]! / (255 * 255));
    shift[row] = s * 255;
  }
  return shift;
}

export interface InputTransform {
  /** Side of the square source images (after any downscale). */
  size: number;
  /** Side of the crops. */
  crop: number;
  /** Mean image at `size`, 0..255, HWC (subtracted pixel by pixel, section 2). */
  mean: Float32Array;
  /** Multiplies (pixel - mean + shift): 1 for raw 0..255 values, 1/255 for 0..1. */
  scale: number;
}

/**
 * Writes one crop of `image` (HWC, size x size x 3) into `out` at `offset`: (pixel - mean(same place) + shift) * scale,
 * reflected horizontally when asked. The mean is cropped at the same place before reflection, as subtracting
 * the mean from the full image first would do.
 */
export function writeCrop(
  image: ArrayLike<number>,
  spec: CropSpec,
  transform: InputTransform,
  shift: readonly [number, number, number],
  out: Float32Array,
  offset: number,
): void {
  const { size, crop, mean, scale } = transform;
  if (spec.top < 0 || spec.left < 0 || spec.top + crop > size || spec.left + crop > size) {
    throw new Error(`Crop at (${spec.top}, ${spec.left}) of side ${crop} does not fit a ${size}x${size} image.`);
  }
  for (let y = 0; y < crop; y++) {
    const srcRow = (spec.top + y) * size + spec.left;
    const dstRow = offset + y * crop * 3;
    for (let x = 0; x < crop; x++) {
      const src = (srcRow + x) * 3;
      const dst = dstRow + (spec.flip ? crop - 1 - x : x) * 3;
      out[dst] = (image[src]! - mean[src]! + shift[0]) * scale;
      out[dst + 1] = (image[src + 1]! - mean[src + 1]! + shift[1]) * scale;
      out[dst + 2] = (image[src + 2]! - mean[src + 2]! + shift[2]) * scale;
    }
  }
}

export const NO_SHIFT: readonly [number, number, number] = [0, 0, 0];

/** Generators for one image in one epoch: the crop and the colour noise are drawn once per image per epoch. */
export function imageRng(seed: number, epoch: number, image: number): Rng {
  return new Rng(seed, 'augment', epoch, image);
}

/**
 * One training image's input (section 4.1), as the trainer assembles each batch: a random crop and reflection and,
 * when `statistics` are given, the PCA colour shift, drawn in that order from the image's own generator for `epoch`,
 * written at `offset` of `out`.
 */
export function writeTrainingCrop(
  image: ArrayLike<number>,
  seed: number,
  epoch: number,
  index: number,
  transform: InputTransform,
  statistics: ColourStatistics | undefined,
  out: Float32Array,
  offset: number,
): void {
  const rng = imageRng(seed, epoch, index);
  const crop = randomCrop(rng, transform.size, transform.crop);
  const shift = statistics ? pcaShift(statistics, rng) : NO_SHIFT;
  writeCrop(image, crop, transform, shift, out, offset);
}
