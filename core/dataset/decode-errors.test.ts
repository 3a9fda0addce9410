// Checks that a decode failure's detail belongs to the file: with many decodes in flight at once, every truncated
// PNG is reported as PNG data, never with another file's (a JPEG's) message from libvips's shared error buffer.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImageBytes, type DecodeError } from './decode';

describe('decode failures under concurrency', () => {
  it("name each file's own format, whatever else fails beside it", async () => {
    const pixels = Buffer.alloc(300 * 200 * 3, 120);
    const raw = { raw: { width: 300, height: 200, channels: 3 as const } };
    const png = await sharp(pixels, raw).png().toBuffer();
    const jpeg = await sharp(pixels, raw).jpeg().toBuffer();
    const cutPng = png.subarray(0, png.length / 2);
    const cutJpeg = jpeg.subarray(0, jpeg.length / 2);
    const attempts: ['png' | 'jpeg', Buffer][] = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? ['png', cutPng] : ['jpeg', cutJpeg]));
    const details = await Promise.all(
      attempts.map(([kind, bytes], i) =>
        decodeImageBytes(bytes, `${i}.${kind}`).then(
          () => `${kind}: decoded`,
          (error: unknown) => `${kind}: ${(error as DecodeError).detail}`,
        ),
      ),
    );
    for (const detail of details) {
      if (detail.startsWith('png')) expect(detail).toMatch(/^png: cannot be decoded: .*(png|PNG)/);
      else expect(detail).not.toMatch(/png/i);
    }
  });
});
