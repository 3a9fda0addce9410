// Decodes BMP files written byte by byte from the format's description, and checks every pixel.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { decodeBmp, isBmp } from './bmp';
import { encodeBmp } from './test-corpus';

function randomRgb(rng: Rng, width: number, height: number, colours?: number): Uint8Array {
  const palette = colours ? Array.from({ length: colours }, () => [rng.integer(256), rng.integer(256), rng.integer(256)]) : undefined;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(palette ? palette[rng.integer(colours!)]! : [rng.integer(256), rng.integer(256), rng.integer(256)], i * 3);
  return out;
}

/** A BMP with a BITMAPV4-style header (108 bytes) whose pixels are given as 32-bit or 16-bit words with bit masks. */
function bitfieldBmp(words: number[], width: number, height: number, bits: 16 | 32, masks: [number, number, number, number]): Buffer {
  const stride = Math.floor((bits * width + 31) / 32) * 4;
  const offset = 14 + 108;
  const out = Buffer.alloc(offset + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(108, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(-height, 22); // top-down
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bits, 28);
  out.writeUInt32LE(3, 30); // BI_BITFIELDS
  masks.forEach((m, i) => out.writeUInt32LE(m >>> 0, 54 + i * 4));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = offset + y * stride + (x * bits) / 8;
      if (bits === 32) out.writeUInt32LE(words[y * width + x]! >>> 0, at);
      else out.writeUInt16LE(words[y * width + x]!, at);
    }
  }
  return out;
}

describe('decodeBmp', () => {
  it('reads 24-bit bottom-up files with row padding, pixel for pixel', () => {
    const rng = new Rng(1, 'bmp-24');
    for (const [w, h] of [[1, 1], [5, 3], [7, 9], [64, 2]] as const) {
      const rgb = randomRgb(rng, w, h);
      const decoded = decodeBmp(encodeBmp(rgb, w, h, { bitsPerPixel: 24 }));
      expect([decoded.width, decoded.height, decoded.channels, decoded.conversions]).toEqual([w, h, 3, []]);
      expect(Buffer.compare(Buffer.from(decoded.pixels), Buffer.from(rgb))).toBe(0);
    }
  });

  it('reads 8-bit palette files, top-down and bottom-up, and says a palette was converted', () => {
    const rng = new Rng(2, 'bmp-8');
    for (const topDown of [true, false]) {
      const rgb = randomRgb(rng, 13, 6, 40);
      const decoded = decodeBmp(encodeBmp(rgb, 13, 6, { bitsPerPixel: 8, topDown }));
      expect(Buffer.compare(Buffer.from(decoded.pixels), Buffer.from(rgb))).toBe(0);
      expect(decoded.conversions).toEqual(['palette colours; converted to 8-bit sRGB']);
    }
  });

  it('reads 32-bit bit fields with a used alpha channel as RGBA, and an all-zero alpha as opaque RGB', () => {
    const words = [0x80ff0000, 0x4000ff00, 0xff0000ff, 0x00102030];
    const withAlpha = decodeBmp(bitfieldBmp(words, 2, 2, 32, [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000]));
    expect(withAlpha.channels).toBe(4);
    expect(Array.from(withAlpha.pixels)).toEqual([255, 0, 0, 128, 0, 255, 0, 64, 0, 0, 255, 255, 16, 32, 48, 0]);
    const zeroAlpha = decodeBmp(bitfieldBmp(words.map((w) => w & 0xffffff), 2, 2, 32, [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000]));
    expect(zeroAlpha.channels).toBe(3);
    expect(Array.from(zeroAlpha.pixels)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 16, 32, 48]);
  });

  it('reads 16-bit 5-6-5 bit fields, scaling each channel to 0..255', () => {
    // (31, 0, 0), (0, 63, 0), (0, 0, 31), (16, 32, 8): 16/31*255 = 131.6, 32/63*255 = 129.5, 8/31*255 = 65.8.
    const words = [31 << 11, 63 << 5, 31, (16 << 11) | (32 << 5) | 8];
    const decoded = decodeBmp(bitfieldBmp(words, 4, 1, 16, [0xf800, 0x07e0, 0x001f, 0]));
    expect(Array.from(decoded.pixels)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 132, 130, 66]);
    expect(decoded.conversions[0]).toMatch(/^16-bit BMP/);
  });

  it('refuses truncated, run-length-compressed and non-BMP input with a reason', () => {
    const whole = encodeBmp(new Uint8Array(10 * 10 * 3), 10, 10, { bitsPerPixel: 24 });
    // 54 header bytes, 9 rows of 32 (30 padded to 4) and the last row's 30: its padding may be missing.
    expect(() => decodeBmp(whole.subarray(0, whole.length - 20))).toThrow(/BMP file is truncated: the pixel data needs 372 bytes, the file has 354/);
    const rle = Buffer.from(whole);
    rle.writeUInt16LE(8, 28);
    rle.writeUInt32LE(1, 30);
    expect(() => decodeBmp(rle)).toThrow('run-length-compressed BMP is not supported');
    expect(isBmp(Buffer.from('BMnot really'))).toBe(false);
    expect(isBmp(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array<number>(30).fill(0)]))).toBe(false);
    expect(() => decodeBmp(Buffer.from('hello'))).toThrow('not a BMP file');
  });
});
