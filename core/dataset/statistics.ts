// The training set's mean image (section 2) and RGB covariance eigen-decomposition (section 4.1), in float64.
import { symmetricEigen } from '../math/eigen';
import { CACHE_RECORD_BYTES, type ColourStatistics } from './types';

export interface TrainingStatistics {
  /** 256x256x3, 0..255. */
  meanImage: Float32Array;
  colour: ColourStatistics;
}

/** Accumulates images one at a time so the whole set never needs to be in memory. */
export class StatisticsAccumulator {
  private readonly sum = new Float64Array(CACHE_RECORD_BYTES);
  private readonly channel = [0, 0, 0];
  /** RR, RG, RB, GG, GB, BB */
  private readonly products = [0, 0, 0, 0, 0, 0];
  private images = 0;

  add(pixels: Uint8Array): void {
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
    // Per-image sums are exact integers (below 2^53), so float64 totals lose nothing.
    this.channel[0]! += r;
    this.channel[1]! += g;
    this.channel[2]! += b;
    const p = [rr, rg, rb, gg, gb, bb];
    for (let k = 0; k < 6; k++) this.products[k]! += p[k]!;
    this.images++;
  }

  result(): TrainingStatistics {
    if (this.images === 0) throw new Error('The training split has no images: its mean and colour statistics are undefined.');
    const meanImage = new Float32Array(CACHE_RECORD_BYTES);
    for (let i = 0; i < CACHE_RECORD_BYTES; i++) meanImage[i] = this.sum[i]! / this.images;
    const pixels = this.images * (CACHE_RECORD_BYTES / 3);
    const mean = this.channel.map((c) => c / pixels) as [number, number, number];
    const [rr, rg, rb, gg, gb, bb] = this.products.map((p) => p / pixels) as [number, number, number, number, number, number];
    const covariance = [
      rr - mean[0] * mean[0], rg - mean[0] * mean[1], rb - mean[0] * mean[2],
      rg - mean[0] * mean[1], gg - mean[1] * mean[1], gb - mean[1] * mean[2],
      rb - mean[0] * mean[2], gb - mean[1] * mean[2], bb - mean[2] * mean[2],
    ];
    const { values, vectors } = symmetricEigen(covariance, 3);
    return {
      meanImage,
      colour: {
        channelMean: mean,
        covariance,
        eigenvalues: [Math.max(0, values[0]!), Math.max(0, values[1]!), Math.max(0, values[2]!)],
        eigenvectors: vectors,
      },
    };
  }
}
