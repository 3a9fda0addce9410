import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImageBytes, WHOLE_DECODE_LIMIT } from './decode';
import { resizeAndCentreCrop, resizeAndCentreCropByBands, resizedSize, rowsRead } from './resample';

/** Seeded noise with some structure (bars and a gradient), so that filters with different lobes disagree. */
function texture(width: number, height: number, seed: number): Uint8Array {
  let s = seed >>> 0 || 1;
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 2 ** 32);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const bars = ((x >> (c + 1)) + (y >> 2)) % 2 === 0 ? 200 : 40;
        out[(y * width + x) * 3 + c] = Math.round(0.6 * bars + 0.4 * next() * 255);
      }
    }
  }
  return out;
}

/**
 * The definition in float64, written apart from the code: output (y, x) of the resized image is the normalised
 * Lanczos-3 weighted sum over input rows i and columns j, weights a function of the distance between pixel centres
 * in input units, the kernel widened by the scale when shrinking; then the centre crop with Python's rounding.
 */
function reference(rgb: Uint8Array, width: number, height: number, side: number): Float64Array {
  const lanczos = (x: number) => (Math.abs(x) >= 3 ? 0 : x === 0 ? 1 : (3 * Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / 3)) / (Math.PI * Math.PI * x * x));
  const short = Math.min(width, height);
  const outW = width === short ? side : Math.floor((side * width) / height);
  const outH = width === short ? Math.floor((side * height) / width) : side;
  const pyRound = (v: number) => (v % 1 === 0.5 ? (Math.floor(v) % 2 === 0 ? Math.floor(v) : Math.ceil(v)) : Math.round(v));
  const top = pyRound((outH - side) / 2);
  const left = pyRound((outW - side) / 2);
  const axis = (inSize: number, outSize: number, o: number): number[] => {
    if (inSize === outSize) return Array.from({ length: inSize }, (_, i) => (i === o ? 1 : 0));
    const scale = inSize / outSize;
    const stretch = Math.max(1, scale);
    const w = Array.from({ length: inSize }, (_, i) => lanczos((i + 0.5 - (o + 0.5) * scale) / stretch));
    const sum = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / sum);
  };
  // The rows first, each value clamped to 0..255 (the image between the passes is an 8-bit image), then the columns.
  const clamp = (v: number) => Math.min(255, Math.max(0, v));
  const across = new Float64Array(height * side * 3);
  for (let x = 0; x < side; x++) {
    const wx = axis(width, outW, left + x);
    for (let i = 0; i < height; i++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let j = 0; j < width; j++) if (wx[j] !== 0) v += wx[j]! * rgb[(i * width + j) * 3 + c]!;
        across[(i * side + x) * 3 + c] = outW === width ? v : clamp(v);
      }
    }
  }
  const out = new Float64Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    const wy = axis(height, outH, top + y);
    for (let x = 0; x < side * 3; x++) {
      let v = 0;
      for (let i = 0; i < height; i++) if (wy[i] !== 0) v += wy[i]! * across[i * side * 3 + x]!;
      out[y * side * 3 + x] = clamp(v);
    }
  }
  return out;
}

function differences(ours: Uint8Array, exact: Float64Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i]! - exact[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / ours.length };
}

describe('the importer resizes with Lanczos-3 in both directions', () => {
  // Two 8-bit roundings (after each pass) and 22-bit weights put the result within 1.5 levels of the exact value (a third
  // of a level on average); a
  // different filter (libvips' bicubic when enlarging, Lanczos-2, a box when shrinking) is several levels off on
  // average on this texture.
  it.each([
    ['enlarges', 61, 43, 48],
    ['shrinks', 300, 170, 64],
    ['enlarges one side and shrinks none (a square)', 40, 40, 64],
  ])('%s as the float64 definition does', (_, width, height, side) => {
    const rgb = texture(width, height, width * 7 + height);
    const ours = resizeAndCentreCrop(rgb, width, height, side);
    const { max, mean } = differences(ours, reference(rgb, width, height, side));
    expect(max).toBeLessThanOrEqual(1.5);
    expect(mean).toBeLessThan(0.4);
  });

  it('keeps an image already at the size, and crops the centre of a longer side as torchvision does', () => {
    const rgb = texture(256, 259, 3);
    const ours = resizeAndCentreCrop(rgb, 256, 259, 256);
    // 3 rows too many: round(1.5) = 2 rows off the top.
    expect(Buffer.from(ours).equals(Buffer.from(rgb.subarray(2 * 256 * 3, 258 * 256 * 3)))).toBe(true);
    expect(resizedSize(200, 301, 256)).toEqual({ width: 256, height: 385 });
    expect(resizedSize(301, 200, 256)).toEqual({ width: 385, height: 256 });
  });

  it('is what decoding an image file gives, enlarging included', async () => {
    const width = 150;
    const height = 97;
    const rgb = texture(width, height, 11);
    const png = await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
    const decoded = await decodeImageBytes(png, 'texture.png');
    const { max, mean } = differences(decoded.pixels, reference(rgb, width, height, 256));
    expect(max).toBeLessThanOrEqual(1.5);
    expect(mean).toBeLessThan(0.4);
  });

  it('gives the same bytes read a band of rows at a time, whatever the band, shrinking and enlarging', async () => {
    for (const [width, height, bands] of [[301, 200, [1, 7, 64, 1000]], [97, 150, [3, 40]], [256, 256, [5]], [900, 700, [2, 33, 699]]] as const) {
      const rgb = texture(width, height, width + height);
      const whole = resizeAndCentreCrop(rgb, width, height, 256);
      for (const bandRows of bands) {
        const asked: [number, number][] = [];
        const banded = await resizeAndCentreCropByBands(width, height, 256, bandRows, async (top, rows) => {
          asked.push([top, rows]);
          return rgb.slice(top * width * 3, (top + rows) * width * 3);
        });
        expect(Buffer.from(banded).equals(Buffer.from(whole)), `${width}x${height} in bands of ${bandRows}`).toBe(true);
        // The bands cover exactly the rows the resize reads, in order, none larger than asked.
        const { from, to } = rowsRead(width, height, 256);
        expect(asked[0]![0]).toBe(from);
        expect(asked.reduce((at, [top, rows]) => (expect(top).toBe(at), expect(rows).toBeLessThanOrEqual(bandRows), at + rows), from)).toBe(to);
      }
    }
  });

  it('decodes a photo above the whole-decode limit a band at a time, to the bytes a whole decode gives', async () => {
    const width = 4000;
    const height = 3000; // 36 MB decoded: above the limit
    expect(width * height * 3).toBeGreaterThan(WHOLE_DECODE_LIMIT);
    const rgb = texture(width, height, 5);
    const jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const whole = await sharp(jpeg).raw().toBuffer();
    const decoded = await decodeImageBytes(jpeg, 'large.jpg');
    expect([decoded.width, decoded.height]).toEqual([width, height]);
    expect(Buffer.from(decoded.pixels).equals(Buffer.from(resizeAndCentreCrop(whole, width, height, 256)))).toBe(true);
    // With an alpha channel that is see-through somewhere: flattened over white, band by band, and said once.
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = i % 7 === 0 ? 128 : 255;
    }
    const png = await sharp(rgba, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 1 }).toBuffer();
    const flat = await decodeImageBytes(png, 'large.png');
    const white = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const a = rgba[i * 4 + 3]!;
      for (let c = 0; c < 3; c++) white[i * 3 + c] = a === 255 ? rgba[i * 4 + c]! : Math.round((rgba[i * 4 + c]! * a + 255 * (255 - a)) / 255);
    }
    expect(Buffer.from(flat.pixels).equals(Buffer.from(resizeAndCentreCrop(white, width, height, 256)))).toBe(true);
    expect(flat.conversions.filter((c) => c === 'alpha channel flattened over white')).toHaveLength(1);
  });

  it('refuses a buffer of the wrong size, naming both sizes', () => {
    expect(() => resizeAndCentreCrop(new Uint8Array(10), 2, 2, 256)).toThrow('An RGB image of 2x2 has 12 bytes; got 10.');
    expect(() => resizeAndCentreCrop(new Uint8Array(0), 0, 2, 256)).toThrow('Image size 0x2 is not allowed');
  });
});

/** Debian's Python with Pillow and torchvision (apt-get install python3-torchvision), or undefined. */
function pythonWithTorchvision(): string | undefined {
  for (const candidate of [process.env.PYTHON, '/usr/bin/python3', 'python3']) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ['-c', 'import PIL, torchvision'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next
    }
  }
  return undefined;
}

const PYTHON = pythonWithTorchvision();
if (!PYTHON) console.warn('resize against Pillow skipped: no python3 with Pillow and torchvision (apt-get install python3-torchvision)');

describe.skipIf(!PYTHON)('the same bytes as Pillow and torchvision', () => {
  it('gives center_crop(resize(image, 256, LANCZOS), 256) byte for byte, enlarging and shrinking', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-resize-'));
    const sizes: [number, number][] = [[61, 43], [200, 301], [257, 256], [640, 427], [1000, 333], [256, 256]];
    for (const [w, h] of sizes) fs.writeFileSync(path.join(folder, `${w}x${h}.rgb`), texture(w, h, w + h));
    const script = [
      'import sys, os',
      'from PIL import Image',
      'import torchvision.transforms.functional as TF',
      'folder = sys.argv[1]',
      'for name in sys.argv[2:]:',
      '    w, h = map(int, name.split("x"))',
      '    im = Image.frombytes("RGB", (w, h), open(os.path.join(folder, name + ".rgb"), "rb").read())',
      '    out = TF.center_crop(TF.resize(im, 256, interpolation=TF.InterpolationMode.LANCZOS), 256)',
      '    open(os.path.join(folder, name + ".out"), "wb").write(out.tobytes())',
    ].join('\n');
    execFileSync(PYTHON!, ['-c', script, folder, ...sizes.map(([w, h]) => `${w}x${h}`)]);
    for (const [w, h] of sizes) {
      const theirs = fs.readFileSync(path.join(folder, `${w}x${h}.out`));
      const ours = resizeAndCentreCrop(texture(w, h, w + h), w, h, 256);
      let differing = 0;
      for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing++;
      expect(differing, `${w}x${h}: bytes that differ from Pillow's`).toBe(0);
    }
  }, 30_000);
});
