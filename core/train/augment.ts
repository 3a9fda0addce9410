// The training inputs of section 4.1: random crops and reflections and PCA colour noise, drawn per image and epoch.
//
// Paper section 4.1: random 227x227 patches of the 256x256 images and their horizontal reflections, and the
// colour augmentation that adds [p1, p2, p3][a1 l1, a2 l2, a3 l3]^T to every pixel, where p and l are the
// eigenvectors and eigenvalues of the 3x3 covariance of RGB pixel values and a ~ N(0, 0.1) is drawn once per image
// each time it is used. Everything is computed on the host from a seeded Rng, so a run is identical on any backend.
import type { ColourStatistics } from '../dataset/types';
import { NO_SHIFT, writeCrop, type CropDraw, type CropSpec, type InputTransform } from '../model/input';
import { Rng } from '../random/rng';

/** Standard deviation of the colour-noise coefficients (section 4.1). */
export const PCA_NOISE_STD = 0.1;

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
  const { crop, shift } = drawTrainingCrop(seed, epoch, index, transform, statistics);
  writeCrop(image, crop, transform, shift, out, offset);
}

/** One training image's crop, reflection and colour shift for `epoch`, drawn as writeTrainingCrop draws them. */
export function drawTrainingCrop(seed: number, epoch: number, index: number, transform: InputTransform, statistics: ColourStatistics | undefined): CropDraw {
  const rng = imageRng(seed, epoch, index);
  const crop = randomCrop(rng, transform.size, transform.crop);
  return { crop, shift: statistics ? pcaShift(statistics, rng) : NO_SHIFT };
}
