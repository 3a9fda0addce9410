// Checks crops, reflections, mean subtraction, box downscaling and PCA colour noise against direct computations.
import { describe, expect, it } from 'vitest';
import type { ColourStatistics } from '../dataset/types';
import { Rng } from '../random/rng';
import { downscale, NO_SHIFT, writeCrop } from '../model/input';
import { imageRng, pcaShift, PCA_NOISE_STD, randomCrop, writeTrainingCrop } from './augment';

function randomImage(size: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: size * size * 3 }, () => rng.integer(256));
}

describe('downscale', () => {
  it('averages each factor x factor block, channel by channel', () => {
    const size = 8;
    const image = randomImage(size, 1);
    const out = downscale(image, size, 2);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) {
          const at = (yy: number, xx: number) => image[(yy * size + xx) * 3 + c]!;
          const expected = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
          expect(out[(y * 4 + x) * 3 + c]).toBeCloseTo(expected, 5);
        }
      }
    }
  });

  it('refuses a factor that does not divide the side', () => {
    expect(() => downscale(new Uint8Array(10 * 10 * 3), 10, 3)).toThrow(/whole divisor of 10/);
  });
});

describe('writeCrop', () => {
  const size = 16;
  const crop = 11;
  const image = randomImage(size, 2);
  const mean = Float32Array.from({ length: size * size * 3 }, (_, i) => (i * 7) % 50);
  const transform = { size, crop, mean, scale: 1 / 255 };

  for (const flip of [false, true]) {
    it(`takes the crop at (top, left), subtracts the mean at the same place, adds the shift and scales (flip ${flip})`, () => {
      const spec = { top: 3, left: 5, flip };
      const shift: [number, number, number] = [1.5, -2, 0.25];
      const out = new Float32Array(2 + crop * crop * 3);
      writeCrop(image, spec, transform, shift, out, 2);
      for (let y = 0; y < crop; y++) {
        for (let x = 0; x < crop; x++) {
          const sourceX = flip ? crop - 1 - x : x;
          for (let c = 0; c < 3; c++) {
            const src = ((spec.top + y) * size + spec.left + sourceX) * 3 + c;
            const expected = (image[src]! - mean[src]! + shift[c]!) / 255;
            expect(out[2 + (y * crop + x) * 3 + c]).toBeCloseTo(expected, 6);
          }
        }
      }
      expect(out[0]).toBe(0);
      expect(out[1]).toBe(0);
    });
  }

  it('refuses a crop that does not fit', () => {
    expect(() => writeCrop(image, { top: 6, left: 0, flip: false }, transform, NO_SHIFT, new Float32Array(crop * crop * 3), 0)).toThrow(/does not fit/);
  });
});

describe('randomCrop', () => {
  it('draws every offset from 0 to size - crop, and reflects about half the time', () => {
    const rng = new Rng(3);
    const tops = new Set<number>();
    const lefts = new Set<number>();
    let flips = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const c = randomCrop(rng, 256, 227);
      tops.add(c.top);
      lefts.add(c.left);
      if (c.flip) flips++;
    }
    // Every offset of both axes, the last included (256 - 227 = 29), and nothing outside.
    const every = Array.from({ length: 30 }, (_, i) => i);
    expect([...tops].sort((a, b) => a - b)).toEqual(every);
    expect([...lefts].sort((a, b) => a - b)).toEqual(every);
    expect(flips / n).toBeGreaterThan(0.46);
    expect(flips / n).toBeLessThan(0.54);
  });

  it('is the same for the same seed, epoch and image, and differs across epochs', () => {
    const a = randomCrop(imageRng(7, 3, 11), 256, 227);
    const b = randomCrop(imageRng(7, 3, 11), 256, 227);
    expect(a).toEqual(b);
    const others = Array.from({ length: 20 }, (_, e) => randomCrop(imageRng(7, e + 4, 11), 256, 227));
    expect(others.some((o) => o.top !== a.top || o.left !== a.left)).toBe(true);
  });
});

describe('pcaShift (section 4.1)', () => {
  it('adds V (alpha * lambda) with alpha ~ N(0, 0.1), lambda in the 0..1 scale, converted back to 0..255', () => {
    // A rotation as eigenvectors (columns) and eigenvalues in 0..255 units.
    const t = 0.6;
    const v = [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];
    const lambda: [number, number, number] = [3000, 800, 100];
    const statistics: ColourStatistics = { channelMean: [0, 0, 0], covariance: [], eigenvalues: lambda, eigenvectors: v };
    // Reproduce the draws with the same generator and compute the expected shift independently.
    const rng = new Rng(5);
    const reference = new Rng(5);
    for (let i = 0; i < 50; i++) {
      const shift = pcaShift(statistics, rng);
      const a = [reference.normal(0, 0.1), reference.normal(0, 0.1), reference.normal(0, 0.1)];
      for (let row = 0; row < 3; row++) {
        let expected = 0;
        for (let j = 0; j < 3; j++) expected += v[row * 3 + j]! * a[j]! * (lambda[j]! / 255 / 255) * 255;
        expect(shift[row]).toBeCloseTo(expected, 9);
      }
    }
  });

  it('has the standard deviation 0.1 * lambda / 255 along each eigenvector', () => {
    const statistics: ColourStatistics = { channelMean: [0, 0, 0], covariance: [], eigenvalues: [2550, 255, 0], eigenvectors: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const rng = new Rng(9);
    const n = 20000;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const s = pcaShift(statistics, rng);
      s0 += s[0] ** 2;
      s1 += s[1] ** 2;
      s2 += s[2] ** 2;
    }
    expect(Math.sqrt(s0 / n)).toBeCloseTo(PCA_NOISE_STD * 10, 1); // 0.1 * 2550 / 255 = 1.0
    expect(Math.sqrt(s1 / n)).toBeCloseTo(PCA_NOISE_STD * 1, 2); // 0.1 * 255 / 255 = 0.1
    expect(s2).toBe(0);
  });
});

describe("writeTrainingCrop (the trainer's batch assembly)", () => {
  it('crops each image at a random place and reflects about half of them, read back from the pixels alone', () => {
    // Red is the column and green the row, so a crop tells where it came from and whether it was reflected.
    const [size, crop] = [32, 27];
    const image = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) image.set([x, y, 7], (y * size + x) * 3);
    const transform = { size, crop, mean: new Float32Array(size * size * 3), scale: 1 };
    const out = new Float32Array(crop * crop * 3);
    const lefts = new Set<number>();
    const tops = new Set<number>();
    let reflected = 0;
    const n = 600;
    for (let index = 0; index < n; index++) {
      writeTrainingCrop(image, 3, 1, index, transform, undefined, out, 0);
      const [first, last] = [out[0]!, out[(crop - 1) * 3]!];
      const flipped = first > last;
      if (flipped) reflected++;
      const left = Math.min(first, last);
      lefts.add(left);
      tops.add(out[1]!);
      // Every row runs over consecutive columns, one way or the other; every column over consecutive rows.
      let wrong = 0;
      for (let y = 0; y < crop; y++) {
        for (let x = 0; x < crop; x++) {
          const at = (y * crop + x) * 3;
          if (out[at] !== (flipped ? left + crop - 1 - x : left + x) || out[at + 1] !== out[1]! + y || out[at + 2] !== 7) wrong++;
        }
      }
      expect(wrong, `image ${index}`).toBe(0);
    }
    expect([...lefts].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...tops].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    // 600 fair coin flips: within 0.08 of a half (about four standard deviations).
    expect(Math.abs(reflected / n - 0.5)).toBeLessThan(0.08);
  });
});
