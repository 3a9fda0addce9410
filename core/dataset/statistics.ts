// The training set's mean image (section 2) and RGB covariance eigen-decomposition (section 4.1), in float64.
import { symmetricEigen } from '../math/eigen';
import { CACHE_RECORD_BYTES, type ColourStatistics } from './types';

export interface TrainingStatistics {
  /** [256, 256, 3] float32, 0..255: the mean of each pixel and channel over the training images. */
  meanImage: Float32Array;
  colour: ColourStatistics;
}

/** Accumulates images one at a time, so the whole set never needs to be in memory. */
export class StatisticsAccumulator {
  /** [256, 256, 3] per-position sums. */
  private readonly sum = new Float64Array(CACHE_RECORD_BYTES);
  /** Sums of R, G, B over all pixels. */
  private readonly channel = new Float64Array(3);
  /** Sums of the products RR, RG, RB, GG, GB, BB over all pixels. */
  private readonly products = new Float64Array(6);
  private images = 0;

  get count(): number {
    return this.images;
  }

  /** Adds one [256, 256, 3] uint8 image. */
  add(pixels: Uint8Array): void {
    if (pixels.length !== CACHE_RECORD_BYTES) throw new Error(`An image record is ${CACHE_RECORD_BYTES} bytes; got ${pixels.length}.`);
    const sum = this.sum;
    let r = 0, g = 0, b = 0, rr = 0, rg = 0, rb = 0, gg = 0, gb = 0, bb = 0;
    for (let i = 0; i < CACHE_RECORD_BYTES; i += 3) {
      const pr = pixels[i]!;
      const pg = pixels[i + 1]!;
      const pb = pixels[i + 2]!;
      sum[i]! += pr;
      sum[i + 1]! += pg;
      sum[i + 2]! += pb;
      r += pr;
      g += pg;
      b += pb;
      rr += pr * pr;
      rg += pr * pg;
      rb += pr * pb;
      gg += pg * pg;
      gb += pg * pb;
      bb += pb * pb;
    }
    // Every sum is an integer below 2^53 (65,536 pixels x 255^2 per image, times millions of images), so float64
    // totals are exact and E[xy] - E[x]E[y] below loses nothing to the order of summation.
    this.channel[0]! += r;
    this.channel[1]! += g;
    this.channel[2]! += b;
    this.products[0]! += rr;
    this.products[1]! += rg;
    this.products[2]! += rb;
    this.products[3]! += gg;
    this.products[4]! += gb;
    this.products[5]! += bb;
    this.images++;
  }

  /** The mean image and the colour statistics of everything added; throws when nothing was. */
  result(): TrainingStatistics {
    if (this.images === 0) throw new Error('The training split has no images: its mean image and colour statistics are undefined.');
    const meanImage = new Float32Array(CACHE_RECORD_BYTES);
    for (let i = 0; i < CACHE_RECORD_BYTES; i++) meanImage[i] = this.sum[i]! / this.images;
    const pixels = this.images * (CACHE_RECORD_BYTES / 3);
    const mean: [number, number, number] = [this.channel[0]! / pixels, this.channel[1]! / pixels, this.channel[2]! / pixels];
    const e = Array.from(this.products, (p) => p / pixels);
    // Population covariance over all training pixels, row-major 3x3.
    const rg = e[1]! - mean[0] * mean[1];
    const rb = e[2]! - mean[0] * mean[2];
    const gb = e[4]! - mean[1] * mean[2];
    const covariance = [e[0]! - mean[0] * mean[0], rg, rb, rg, e[3]! - mean[1] * mean[1], gb, rb, gb, e[5]! - mean[2] * mean[2]];
    const { values, vectors } = symmetricEigen(covariance, 3);
    return {
      meanImage,
      colour: {
        channelMean: mean,
        covariance,
        // A covariance is positive semi-definite; rounding can leave a zero eigenvalue a hair below zero.
        eigenvalues: [Math.max(0, values[0]!), Math.max(0, values[1]!), Math.max(0, values[2]!)],
        eigenvectors: vectors,
      },
    };
  }
}
