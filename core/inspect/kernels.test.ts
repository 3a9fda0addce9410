// Checks conv1 colour specificity against its definition in float64, and the kernel grid decoded back from the PNG.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { colourSpecificity, GRID_BACKGROUND, kernelGridPng, kernelGridRgba, kernelScores, towerColourSpecificity, type KernelShape } from './kernels';

/** HWIO weights for `count` 11x11x3 kernels, kernel k's value at (y, x, c) given by f. */
function kernels(count: number, f: (k: number, y: number, x: number, c: number) => number): { w: Float32Array; shape: KernelShape } {
  const shape: KernelShape = [11, 11, 3, count];
  const w = new Float32Array(11 * 11 * 3 * count);
  for (let y = 0; y < 11; y++) for (let x = 0; x < 11; x++) for (let c = 0; c < 3; c++) for (let k = 0; k < count; k++) w[((y * 11 + x) * 3 + c) * count + k] = f(k, y, x, c);
  return { w, shape };
}

/** The score as defined, C / T, with T summed directly over all 363 values in float64. */
function definition(w: Float32Array, count: number, k: number): number {
  const value = (y: number, x: number, c: number) => w[((y * 11 + x) * 3 + c) * count + k]!;
  let sum = 0;
  for (let y = 0; y < 11; y++) for (let x = 0; x < 11; x++) for (let c = 0; c < 3; c++) sum += value(y, x, c);
  const mean = sum / 363;
  let chromatic = 0;
  let total = 0;
  for (let y = 0; y < 11; y++) {
    for (let x = 0; x < 11; x++) {
      const m = (value(y, x, 0) + value(y, x, 1) + value(y, x, 2)) / 3;
      for (let c = 0; c < 3; c++) {
        chromatic += (value(y, x, c) - m) ** 2;
        total += (value(y, x, c) - mean) ** 2;
      }
    }
  }
  return total === 0 ? 0 : chromatic / total;
}

describe('colour specificity (Figure 3)', () => {
  const rng = new Rng(7, 'kernels');
  const noise = Array.from({ length: 11 * 11 * 3 * 8 }, () => rng.normal());
  const { w, shape } = kernels(6, (k, y, x, c) => {
    const pattern = Math.sin(x + 2 * y) + 0.3;
    if (k === 0) return pattern; // the same in R, G and B: colour-agnostic
    if (k === 1) return [1, -1, 0][c]! * pattern; // channels cancel at every pixel: no luminance
    if (k === 2) return pattern + (c === 0 ? 0.5 * Math.cos(x * y) : 0); // grey with a red tint
    if (k === 3) return noise[(y * 11 + x) * 3 + c]!; // random, mostly chromatic
    if (k === 4) return 0.25; // constant: no energy at all
    return [2, -1, -1][c]! * Math.cos(y) + pattern; // opponent, with luminance
  });

  it('is 0 for a grey kernel, 1 for a kernel with no luminance, 0 for a constant one', () => {
    expect(colourSpecificity(w, shape, 0)).toBeCloseTo(0, 12);
    expect(colourSpecificity(w, shape, 1)).toBeCloseTo(1, 12);
    expect(colourSpecificity(w, shape, 4)).toBe(0);
  });

  it('equals C / T computed by its definition in float64 for mixed kernels', () => {
    for (const k of [2, 3, 5]) {
      const score = colourSpecificity(w, shape, k);
      expect(score).toBeGreaterThan(0.01);
      expect(score).toBeLessThan(0.99);
      expect(score).toBeCloseTo(definition(w, 6, k), 12);
    }
    // Random kernels: 2 of their 3 degrees of freedom per pixel are chromatic, so about 2/3.
    expect(colourSpecificity(w, shape, 3)).toBeGreaterThan(0.5);
    expect(colourSpecificity(w, shape, 3)).toBeLessThan(0.8);
  });

  it('scores every kernel, and averages a tower’s range', () => {
    const scores = kernelScores(w, shape);
    expect(scores).toHaveLength(6);
    scores.forEach((s, k) => expect(s).toBeCloseTo(definition(w, 6, k), 12));
    expect(towerColourSpecificity(w, shape, 0, 2)).toBeCloseTo(0.5, 12);
    expect(towerColourSpecificity(w, shape, 2, 6)).toBeCloseTo((scores[2]! + scores[3]! + scores[4]! + scores[5]!) / 4, 12);
  });

  it('refuses kernels that do not exist and shapes that do not match', () => {
    expect(() => colourSpecificity(w, shape, 6)).toThrow(/Kernel 6 does not exist; the weights hold kernels 0 to 5/);
    expect(() => towerColourSpecificity(w, shape, 3, 3)).toThrow(/Kernel range \[3, 3\)/);
    expect(() => kernelScores(w, [11, 11, 1, 18])).toThrow(/3 input channels/);
    expect(() => kernelScores(w.subarray(1), shape)).toThrow(/2177 values; shape \[11, 11, 3, 6\] needs 2178/);
    expect(() => colourSpecificity(w, shape, -1)).toThrow('Kernel -1 does not exist; the weights hold kernels 0 to 5.');
    expect(() => colourSpecificity(w, shape, 1.5)).toThrow('Kernel 1.5 does not exist');
    const scores = kernelScores(w, shape);
    expect(colourSpecificity(w, shape, 5)).toBeCloseTo(scores[5]!, 12); // the last kernel exists
    expect(() => kernelScores(w, [11, 11, 1, 18])).toThrow('Kernel images need 3 input channels (RGB); the shape is [11, 11, 1, 18].');
    for (const bad of [[0, 11, 3, 6], [11, 1.5, 3, 6], [11, 11, 3, 0], [11, 11, 3]] as unknown as [number, number, number, number][]) {
      expect(() => kernelScores(w, bad), bad.join(',')).toThrow(`Kernel shape [${bad.join(', ')}] is not allowed; expected [height, width, 3, kernels] with whole, positive sizes.`);
    }
    // A range is whole numbers with 0 <= start < end <= kernels; each bound on its own.
    for (const [start, end] of [[-1, 2], [0, 7], [1.5, 3], [0, 2.5], [4, 2]]) {
      expect(() => towerColourSpecificity(w, shape, start!, end!), `${start}, ${end}`).toThrow(`Kernel range [${start}, ${end}) is not allowed; use whole numbers with 0 <= start < end <= 6.`);
    }
    expect(towerColourSpecificity(w, shape, 0, 6)).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / 6, 12);
  });
});

describe('kernel grid', () => {
  // 96 kernels as in the paper's conv1, random but for kernel 37, whose minimum and maximum sit at known places.
  const count = 96;
  const rng = new Rng(8, 'kernel-grid');
  const target = 37;
  const { w, shape } = kernels(count, (k, y, x, c) => {
    if (k === target) {
      if (y === 2 && x === 3 && c === 1) return -0.7; // the minimum: green channel only
      if (y === 8 && x === 9) return 0.9; // the maximum, in all three channels: white
      return 0.1 * Math.sin(y * 11 + x + c);
    }
    if (k === 5) return -0.3; // constant
    return rng.normal(0, 0.05);
  });
  const value = (k: number, y: number, x: number, c: number) => w[((y * 11 + x) * 3 + c) * count + k]!;

  it('places each kernel in its cell, contrast-stretched on its own, in the decoded PNG', async () => {
    const columns = 12;
    const scale = 3;
    const png = await kernelGridPng(w, shape, { columns, scale, padding: 1 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(columns * 33 + columns + 1);
    expect(info.height).toBe(8 * 33 + 8 + 1);
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    // Kernel 37 is in grid row 3, column 1.
    const left = 1 + 1 * 34;
    const top = 1 + 3 * 34;
    for (let y = 0; y < 11; y++) {
      for (let x = 0; x < 11; x++) {
        const want = [0, 1, 2].map((c) => Math.round(((value(target, y, x, c) - -0.7) / (0.9 - -0.7)) * 255));
        // Every screen pixel of the scale x scale block shows the kernel pixel.
        for (const [dy, dx] of [[0, 0], [scale - 1, scale - 1], [1, 2]]) expect(at(left + x * scale + dx!, top + y * scale + dy!)).toEqual(want);
      }
    }
    expect(at(left + 3 * scale, top + 2 * scale)[1]).toBe(0);
    expect(at(left + 9 * scale + 1, top + 8 * scale + 2)).toEqual([255, 255, 255]);
    // The padding around it is the background.
    expect(at(left - 1, top + 5)).toEqual([GRID_BACKGROUND, GRID_BACKGROUND, GRID_BACKGROUND]);
    expect(at(left + 5, top - 1)).toEqual([GRID_BACKGROUND, GRID_BACKGROUND, GRID_BACKGROUND]);
    // Kernel 5 (row 0, column 5) is constant: mid grey.
    expect(at(1 + 5 * 34 + 4, 1 + 4)).toEqual([128, 128, 128]);
  });

  it('stretches every kernel to span 0..255, and leaves no cell empty in a partial last row', () => {
    const grid = kernelGridRgba(w, shape, { columns: 10 }); // 96 kernels: ten rows, the last holding six
    expect([grid.width, grid.height]).toEqual([10 * 11 + 11, 10 * 11 + 11]);
    for (let k = 0; k < count; k++) {
      const left = 1 + (k % 10) * 12;
      const top = 1 + Math.floor(k / 10) * 12;
      let min = 255;
      let max = 0;
      for (let y = 0; y < 11; y++) {
        for (let x = 0; x < 11; x++) {
          const o = ((top + y) * grid.width + left + x) * 4;
          for (let c = 0; c < 3; c++) {
            min = Math.min(min, grid.data[o + c]!);
            max = Math.max(max, grid.data[o + c]!);
          }
          expect(grid.data[o + 3]).toBe(255);
        }
      }
      expect([min, max]).toEqual(k === 5 ? [128, 128] : [0, 255]);
    }
    // The empty cells after kernel 95 are background.
    const o = ((1 + 9 * 12 + 5) * grid.width + 1 + 7 * 12 + 5) * 4;
    expect(Array.from(grid.data.subarray(o, o + 4))).toEqual([GRID_BACKGROUND, GRID_BACKGROUND, GRID_BACKGROUND, 255]);
  });

  it('refuses a scale or padding out of range', () => {
    expect(() => kernelGridRgba(w, shape, { scale: 0 })).toThrow(/scale 0 is not allowed; use a whole number from 1 to 64/);
    expect(() => kernelGridRgba(w, shape, { padding: 1.5 })).toThrow(/padding 1.5/);
  });
});
