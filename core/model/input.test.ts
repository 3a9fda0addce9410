// Checks the network's input (crop, reflection, mean, colour shift, scale; the box-filter shrink) against brute force.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { downscale, writeCrop, type InputTransform } from './input';

const SENTINEL = -12345;

function randomImage(size: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rng.uniform() * 256));
}

/** A buffer of `length` values plus a tail of sentinels, which nothing may write into. */
function withTail(length: number, tail = 64): Float32Array {
  return new Float32Array(length + tail).fill(SENTINEL);
}

function expectTailUntouched(out: Float32Array, length: number): void {
  expect(Array.from(out.subarray(length)).every((v) => v === SENTINEL), 'nothing written past the output').toBe(true);
}

describe('downscale', () => {
  it('averages each factor x factor block of each channel exactly', () => {
    const size = 12;
    const image = randomImage(size, 1);
    for (const factor of [1, 2, 3, 4]) {
      const side = size / factor;
      const out = withTail(side * side * 3);
      downscale(image, size, factor, out);
      for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += image[((y * factor + dy) * size + x * factor + dx) * 3 + c]!;
        expect(out[(y * side + x) * 3 + c], `factor ${factor} at (${y}, ${x}, ${c})`).toBeCloseTo(sum / (factor * factor), 4);
      }
      expectTailUntouched(out, side * side * 3);
      expect(downscale(image, size, factor).length).toBe(side * side * 3);
    }
  });

  it('refuses a factor that is not a whole divisor of the side, naming both', () => {
    const image = randomImage(8, 2);
    for (const factor of [0, -2, 1.5, 3, 16]) {
      expect(() => downscale(image, 8, factor), String(factor)).toThrow(`Cannot shrink a 8x8 image by ${factor}; the factor must be a whole divisor of 8.`);
    }
    expect(() => downscale(image, 8, 8)).not.toThrow();
  });
});

describe('writeCrop', () => {
  const size = 9;
  const crop = 5;
  const image = randomImage(size, 3);
  const mean = Float32Array.from(randomImage(size, 4), (v) => v / 2);
  const transform: InputTransform = { size, crop, mean, scale: 1 / 255 };
  const shift = [3.5, -7.25, 11] as const;

  it('writes (pixel - mean + shift) * scale of the crop, reflected when asked, at the offset and nowhere else', () => {
    for (const [top, left] of [[0, 0], [4, 4], [1, 3], [4, 0]] as const) {
      for (const flip of [false, true]) {
        const offset = 7;
        const out = withTail(offset + crop * crop * 3);
        out.fill(SENTINEL, 0, offset);
        writeCrop(image, { top, left, flip }, transform, shift, out, offset);
        expect(Array.from(out.subarray(0, offset)).every((v) => v === SENTINEL), 'nothing written before the offset').toBe(true);
        expectTailUntouched(out, offset + crop * crop * 3);
        for (let y = 0; y < crop; y++) for (let x = 0; x < crop; x++) for (let c = 0; c < 3; c++) {
          const sx = left + (flip ? crop - 1 - x : x);
          const src = ((top + y) * size + sx) * 3 + c;
          const want = (image[src]! - mean[src]! + shift[c]!) / 255;
          expect(out[offset + (y * crop + x) * 3 + c], `(${top}, ${left}, ${flip}) at (${y}, ${x}, ${c})`).toBeCloseTo(want, 6);
        }
      }
    }
  });

  it('refuses a crop that leaves the image on any side, and takes the last one that fits', () => {
    const out = new Float32Array(crop * crop * 3);
    for (const [top, left] of [[-1, 0], [0, -1], [5, 0], [0, 5], [5, 5]] as const) {
      expect(() => writeCrop(image, { top, left, flip: false }, transform, shift, out, 0), `(${top}, ${left})`).toThrow(
        `Crop at (${top}, ${left}) of side 5 does not fit a 9x9 image.`,
      );
    }
    expect(() => writeCrop(image, { top: 4, left: 4, flip: true }, transform, shift, out, 0)).not.toThrow();
  });
});
