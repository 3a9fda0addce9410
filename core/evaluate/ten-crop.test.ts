// Checks the ten crops of section 4.1: their offsets, the crop and reflection pixel by pixel, and the averaging.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { averageTenCrop, centreCropOffset, cropImage, tenCropOffsets } from './ten-crop';

describe('ten-crop offsets', () => {
  it('are the centre, the four corners and their reflections: 227 from 256', () => {
    expect(centreCropOffset(256, 227)).toBe(14);
    const five = [[14, 14], [0, 0], [0, 29], [29, 0], [29, 29]];
    expect(tenCropOffsets(256, 227).map((o) => [o.top, o.left, o.flip])).toEqual([
      ...five.map(([top, left]) => [top, left, false]),
      ...five.map(([top, left]) => [top, left, true]),
    ]);
  });

  it('fit the image for the quick preset (115 from 128) and round the centre down', () => {
    expect(centreCropOffset(128, 115)).toBe(6); // (128 - 115) / 2 = 6.5
    for (const { top, left } of tenCropOffsets(128, 115)) {
      expect(top >= 0 && left >= 0 && top + 115 <= 128 && left + 115 <= 128).toBe(true);
    }
    expect(tenCropOffsets(128, 115)[4]).toEqual({ top: 13, left: 13, flip: false });
    expect(tenCropOffsets(5, 5).every((o) => o.top === 0 && o.left === 0)).toBe(true);
  });

  it('refuses a crop larger than the image', () => {
    expect(() => centreCropOffset(128, 129)).toThrow(/Crop 129 is not allowed for an image side of 128; use 1 to 128/);
  });
});

describe('cropImage', () => {
  const size = 9;
  const crop = 6;
  const rng = new Rng(6, 'crop-image');
  const src = Uint8Array.from({ length: size * size * 3 }, () => rng.integer(256));
  const pixel = (y: number, x: number) => Array.from(src.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));

  it('copies every pixel of each of the ten crops, and reflects each row for the flipped ones', () => {
    for (const { top, left, flip } of tenCropOffsets(size, crop)) {
      const out = cropImage(src, size, top, left, crop, flip);
      expect(out).toHaveLength(crop * crop * 3);
      for (let y = 0; y < crop; y++) {
        // The reference row, read pixel by pixel, then (for a reflection) its pixels in reverse order.
        const row: number[][] = [];
        for (let x = 0; x < crop; x++) row.push(pixel(top + y, left + x));
        if (flip) row.reverse();
        for (let x = 0; x < crop; x++) expect(Array.from(out.subarray((y * crop + x) * 3, (y * crop + x) * 3 + 3))).toEqual(row[x]);
      }
    }
  });

  it('puts the image corner in the corner crop: top-right unflipped ends, and flipped starts, with the last column', () => {
    const topRight = cropImage(src, size, 0, size - crop, crop, false);
    expect(Array.from(topRight.subarray((crop - 1) * 3, crop * 3))).toEqual(pixel(0, size - 1));
    const reflected = cropImage(src, size, 0, size - crop, crop, true);
    expect(Array.from(reflected.subarray(0, 3))).toEqual(pixel(0, size - 1));
  });

  it('refuses crops that leave the image, or an image of the wrong size', () => {
    expect(() => cropImage(src, size, 4, 0, crop, false)).toThrow(/top offset 4 .* use 0 to 3/);
    expect(() => cropImage(src, size, 0, -1, crop, false)).toThrow(/left offset -1/);
    expect(() => cropImage(src.subarray(3), size, 0, 0, crop, false)).toThrow(/240 values; a 9x9 RGB image has 243/);
  });
});

describe('averageTenCrop', () => {
  it('averages each image’s ten consecutive rows (hand computation)', () => {
    // One image, two classes: crop i gives [i / 10, 1 - i / 10], so the mean is [0.45, 0.55].
    const p = new Float32Array(20);
    for (let i = 0; i < 10; i++) p.set([i / 10, 1 - i / 10], i * 2);
    const second = new Float32Array(20).fill(0.5);
    second[0] = 1; // crop 0 of image 2 is sure of class 0: (1 + 9 * 0.5) / 10 = 0.55
    second[1] = 0;
    const both = new Float32Array(40);
    both.set(p, 0);
    both.set(second, 20);
    const avg = averageTenCrop(both, 2);
    expect(avg).toHaveLength(4);
    expect(avg[0]).toBeCloseTo(0.45, 6);
    expect(avg[1]).toBeCloseTo(0.55, 6);
    expect(avg[2]).toBeCloseTo(0.55, 6);
    expect(avg[3]).toBeCloseTo(0.45, 6);
  });

  it('refuses rows that are not whole groups of ten', () => {
    expect(() => averageTenCrop(new Float32Array(18), 2)).toThrow(/18 values .* multiple of 20/);
    expect(() => averageTenCrop(new Float32Array(20), 0)).toThrow('Class count 0 is not allowed; use a whole number of at least 1.');
    expect(() => averageTenCrop(new Float32Array(20), 2.5)).toThrow('Class count 2.5 is not allowed');
    // One class is a class: ten rows of one value average to one.
    expect(Array.from(averageTenCrop(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 1))).toEqual([5.5]);
  });
});
