// Images as data URLs for the UI and reports: the cache's 256x256 RGB records as JPEG (thumbnails, look-up queries, neighbours), PNGs.
import sharp from 'sharp';
import { CACHE_IMAGE_SIZE } from '../dataset/types';

/** Default thumbnail side in pixels. */
export const THUMBNAIL_SIZE = 96;

/** A 256x256x3 uint8 image as a JPEG data URL, scaled to `size` pixels square. */
export async function jpegDataUrl(pixels: Uint8Array, size: number = CACHE_IMAGE_SIZE, quality = 80): Promise<string> {
  let image = sharp(pixels, { raw: { width: CACHE_IMAGE_SIZE, height: CACHE_IMAGE_SIZE, channels: 3 } });
  if (size !== CACHE_IMAGE_SIZE) image = image.resize(size, size, { kernel: 'lanczos3' });
  const jpeg = await image.jpeg({ quality }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** Largest side of an image opened on its own (the source file, not the cache). */
export const PREVIEW_SIZE = 1024;

/**
 * A source image file as a JPEG data URL, upright (EXIF orientation) and scaled down to fit PREVIEW_SIZE; undefined
 * for a format the decoder cannot show directly (BMP, which the import decodes itself).
 */
export async function previewDataUrl(bytes: Uint8Array): Promise<string | undefined> {
  try {
    const jpeg = await sharp(bytes, { failOn: 'truncated' })
      .rotate()
      .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 85 })
      .toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return undefined;
  }
}

/** What stands for an image damaged in the cache: a grey square, crossed out. */
export const DAMAGED_THUMBNAIL =
  'data:image/svg+xml,' +
  encodeURIComponent("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><rect width='10' height='10' fill='#ccc'/><path d='M1 1L9 9M9 1L1 9' stroke='#a00' stroke-width='0.6'/></svg>");

/** A PNG as a data URL. */
export function pngDataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}
