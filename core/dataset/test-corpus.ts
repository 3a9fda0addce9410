// Generates a dataset folder full of awkward files (real image bytes made by sharp), and what import must make of each.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { SkipReason, Split } from './types';

export interface ExpectedOutcome {
  /** Relative to the corpus folder, '/'-separated; for a skipped folder, the folder. */
  path: string;
  outcome: 'kept' | 'skipped';
  /** Kept files: the class the file belongs to, and the split its folder fixes (folder layout only). */
  className?: string;
  split?: Split;
  /** Skipped files: the reason the import report must give. */
  reason?: SkipReason;
  /** Kept files: one substring per conversion the report must list for the file, in order; [] means none. */
  conversions?: string[];
}

export interface CorpusOptions {
  /**
   * 'classes' (default): class folders at the top, for a seeded split. 'folders': the same class folders under train/,
   * plus a test/ folder with a few images, one of them a copy of a training image (leakage).
   */
  layout?: 'classes' | 'folders';
}

type Rgb = [number, number, number];

/** The colour of the solid images; cached pixels must come out as exactly this. */
export const SOLID_RED: Rgb = [200, 30, 60];
/** The grey level of the greyscale images. */
export const GREY_LEVEL = 90;
/** cats/rotated.jpg: stored 48x32 with these quadrant colours, and EXIF orientation 6 (display turned 90 degrees clockwise). */
export const ROTATED_STORED = { topLeft: [0, 255, 0] as Rgb, topRight: [255, 0, 0] as Rgb, bottomLeft: [0, 0, 255] as Rgb, bottomRight: [255, 255, 0] as Rgb };

/** The colour of cats/jpeg-named.png (JPEG bytes under a PNG name) and of dogs/LONG_NAME. */
export const SOLID_GREEN: Rgb = [90, 160, 30];
/**
 * A file name of exactly 255 bytes in UTF-8 (the limit of ext4, APFS and NTFS is 255 bytes or UTF-16 units), made
 * mostly of 3-byte characters, so that a byte count and a character count disagree: 93 characters, 255 bytes.
 */
export const LONG_NAME = `${'長い名前'.repeat(20)}-\u00e9\u00e9abcde.jpeg`;

/** cats/crop.png is 512x256 with this colour at (x, y): its centre crop must come out pixel for pixel. */
export function cropPattern(x: number, y: number): Rgb {
  return [(x * 7 + y * 3) % 256, (x * 5 + y * 11) % 256, (x ^ y) & 255];
}

/** cats/blocks.png is 1024x512 of 32x32 blocks; block (bx, by) has this colour. */
export function blockColour(bx: number, by: number): Rgb {
  return [40 + bx * 6, 30 + by * 12, 230 - bx * 5];
}

function image(width: number, height: number, colour: (x: number, y: number) => number[], channels = 3): Buffer {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * channels);
  return data;
}

const raw = (width: number, height: number, channels: 1 | 2 | 3 | 4) => ({ raw: { width, height, channels } });

/**
 * A Windows BMP of RGB pixels: 24 bits a pixel, or 8 with a palette of the image's colours (at most 256).
 * Written here from the format's description, independently of the decoder it tests.
 */
export function encodeBmp(rgb: Uint8Array, width: number, height: number, options: { bitsPerPixel: 24 | 8; topDown?: boolean }): Buffer {
  const { bitsPerPixel, topDown = false } = options;
  const palette: number[] = [];
  const index = new Map<number, number>();
  if (bitsPerPixel === 8) {
    for (let i = 0; i < width * height; i++) {
      const key = (rgb[i * 3]! << 16) | (rgb[i * 3 + 1]! << 8) | rgb[i * 3 + 2]!;
      if (!index.has(key)) {
        index.set(key, palette.length);
        palette.push(key);
      }
    }
    if (palette.length > 256) throw new Error(`An 8-bit BMP holds 256 colours; the image has ${palette.length}.`);
  }
  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  const offset = 14 + 40 + palette.length * 4;
  const out = Buffer.alloc(offset + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bitsPerPixel, 28);
  out.writeUInt32LE(0, 30);
  out.writeUInt32LE(stride * height, 34);
  out.writeUInt32LE(palette.length, 46);
  palette.forEach((key, i) => out.set([key & 255, (key >> 8) & 255, key >> 16, 0], 54 + i * 4));
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      if (bitsPerPixel === 24) out.set([rgb[p + 2]!, rgb[p + 1]!, rgb[p]!], row + x * 3);
      else out[row + x] = index.get((rgb[p]! << 16) | (rgb[p + 1]! << 8) | rgb[p + 2]!)!;
    }
  }
  return out;
}

/**
 * Writes the corpus into `dir` (classes 'cats', 'dogs', 'café' and the empty 'empty', plus stray files and folders)
 * and returns the expected outcome of every file. Image content is chosen so that conversions can be checked pixel by
 * pixel against the exported patterns and colours.
 */
export async function makeTestCorpus(dir: string, options: CorpusOptions = {}): Promise<ExpectedOutcome[]> {
  const layout = options.layout ?? 'classes';
  const top = layout === 'folders' ? 'train/' : '';
  const expected: ExpectedOutcome[] = [];
  const write = async (rel: string, bytes: Buffer | Promise<Buffer>) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, await bytes);
  };
  const put = async (rel: string, bytes: Buffer | Promise<Buffer>, outcome: Omit<ExpectedOutcome, 'path'>) => {
    await write(rel, bytes);
    expected.push({ path: rel, ...outcome });
  };
  /** A kept image of class `className`, at `name` inside its class folder (under train/ in the folder layout). */
  const keep = (className: string, name: string, bytes: Buffer | Promise<Buffer>, conversions: string[] = [], split: Split = 'train') =>
    put(`${split === 'test' ? 'test/' : top}${className}/${name}`, bytes, { outcome: 'kept', className, ...(layout === 'folders' ? { split } : {}), conversions });
  const skip = (rel: string, bytes: Buffer | Promise<Buffer>, reason: SkipReason) => put(`${top}${rel}`, bytes, { outcome: 'skipped', reason });

  const red = image(64, 48, () => SOLID_RED);
  const grey = Buffer.alloc(40 * 40, GREY_LEVEL);
  await keep('cats', 'red.jpg', sharp(red, raw(64, 48, 3)).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer());
  await keep('cats', 'red.png', sharp(red, raw(64, 48, 3)).png().toBuffer());
  await keep('cats', 'UPPER.JPG', sharp(red, raw(64, 48, 3)).jpeg().toBuffer());
  await keep('cats', 'grey.png', sharp(grey, raw(40, 40, 1)).toColourspace('b-w').png().toBuffer(), ['greyscale; converted to sRGB']);
  await keep('cats', 'grey.jpg', sharp(grey, raw(40, 40, 1)).toColourspace('b-w').jpeg().toBuffer(), ['greyscale; converted to sRGB']);
  await keep('cats', 'palette.png', sharp(red, raw(64, 48, 3)).png({ palette: true, colours: 4 }).toBuffer(), ['palette colours; converted to 8-bit sRGB']);
  await keep('cats', 'sixteen.png', sharp(red, raw(64, 48, 3)).toColourspace('rgb16').png().toBuffer(), ['16-bit RGB; converted to 8-bit sRGB']);
  await keep('cats', 'grey16.png', sharp(grey, raw(40, 40, 1)).toColourspace('grey16').png().toBuffer(), ['16-bit greyscale; converted to 8-bit sRGB']);
  // Left half opaque (10, 20, 30), right half fully transparent: the right half must come out white.
  const rgba = image(32, 32, (x) => (x < 16 ? [10, 20, 30, 255] : [10, 20, 30, 0]), 4);
  await keep('cats', 'alpha.png', sharp(rgba, raw(32, 32, 4)).png().toBuffer(), ['alpha channel flattened over white']);
  // An alpha channel that is opaque everywhere changes nothing and is not reported.
  await keep('cats', 'opaque-alpha.png', sharp(image(32, 32, () => [...SOLID_RED, 255], 4), raw(32, 32, 4)).png().toBuffer());
  // Grey 50 at alpha 128 over white: (50 * 128 + 255 * 127) / 255 = 152.1.
  const greyAlpha = image(32, 32, () => [50, 128], 2);
  await keep('cats', 'grey-alpha.png', sharp(greyAlpha, raw(32, 32, 2)).toColourspace('b-w').png().toBuffer(), ['greyscale; converted to sRGB', 'alpha channel flattened over white']);
  await keep('cats', 'cmyk.jpg', sharp(red, raw(64, 48, 3)).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer(), ['CMYK; converted to sRGB']);
  const q = ROTATED_STORED;
  const quadrants = image(48, 32, (x, y) => (y < 16 ? (x < 24 ? q.topLeft : q.topRight) : x < 24 ? q.bottomLeft : q.bottomRight));
  await keep('cats', 'rotated.jpg', sharp(quadrants, raw(48, 32, 3)).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).withMetadata({ orientation: 6 }).toBuffer(), ['EXIF orientation 6 applied']);
  await keep('cats', 'tiny.png', sharp(Buffer.from([0, 255, 0]), raw(1, 1, 3)).png().toBuffer());
  await keep('cats', 'crop.png', sharp(image(512, 256, cropPattern), raw(512, 256, 3)).png().toBuffer());
  await keep('cats', 'blocks.png', sharp(image(1024, 512, (x, y) => blockColour(Math.floor(x / 32), Math.floor(y / 32))), raw(1024, 512, 3)).png().toBuffer());
  await keep('cats', 'nested/deeper/inside.webp', sharp(red, raw(64, 48, 3)).webp().toBuffer());
  await keep('cats', 'photo.avif', sharp(red, raw(64, 48, 3)).avif().toBuffer());
  // A hidden folder is reported once, as a folder, and not searched.
  await write(`${top}cats/.thumbnails/hidden.jpg`, sharp(red, raw(64, 48, 3)).jpeg().toBuffer());
  expected.push({ path: `${top}cats/.thumbnails`, outcome: 'skipped', reason: 'not-an-image' });

  const frames = [SOLID_RED, [20, 40, 220]].map((c) => sharp(image(20, 10, () => c), raw(20, 10, 3)).png().toBuffer());
  await keep('dogs', 'anim.gif', sharp(await Promise.all(frames), { join: { animated: true } }).gif().toBuffer(), ['palette colours; converted to 8-bit sRGB', 'first of 2 frames used']);
  await keep('dogs', 'scan.tiff', sharp(red, raw(64, 48, 3)).tiff().toBuffer());
  await keep('dogs', 'png-named.jpg', sharp(image(64, 48, () => [20, 40, 220]), raw(64, 48, 3)).png().toBuffer());
  await keep('dogs', 'windows.bmp', encodeBmp(red, 64, 48, { bitsPerPixel: 24 }));
  await keep('dogs', 'palette.BMP', encodeBmp(red, 64, 48, { bitsPerPixel: 8, topDown: true }), ['palette colours; converted to 8-bit sRGB']);
  // Content decides, not the name: JPEG bytes named .png are kept as the JPEG they are. (These two sit in different
  // classes because with import.test.ts's seed 3 any other placement puts a copy of red into the other split.)
  const green = image(64, 48, () => SOLID_GREEN);
  await keep('cats', 'jpeg-named.png', sharp(green, raw(64, 48, 3)).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer());
  await keep('dogs', LONG_NAME, sharp(green, raw(64, 48, 3)).jpeg({ quality: 90 }).toBuffer());
  await keep('dogs', 'copy-of-red.jpg', fs.readFileSync(path.join(dir, `${top}cats/red.jpg`)));
  const jpeg = await sharp(image(300, 200, (x, y) => [x % 256, y, 140]), raw(300, 200, 3)).jpeg().toBuffer();
  await skip('dogs/truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'undecodable');
  const png = await sharp(image(300, 200, (x, y) => [x % 256, y, 140]), raw(300, 200, 3)).png().toBuffer();
  await skip('dogs/truncated.png', png.subarray(0, Math.floor(png.length / 2)), 'undecodable');
  await skip('dogs/zero.jpg', Buffer.alloc(0), 'empty-file');
  await skip('dogs/text.png', Buffer.from('this is not a picture\n'), 'undecodable');
  await skip('dogs/.DS_Store', Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]), 'not-an-image');
  await skip('dogs/Thumbs.db', Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), 'not-an-image');
  await skip('dogs/notes.txt', Buffer.from('hello'), 'not-an-image');
  await skip('dogs/README', Buffer.from('no extension'), 'not-an-image');
  // Links: one to a file (followed), one to nothing (unreadable), one back to its own folder (a loop, not followed).
  fs.symlinkSync(path.join(dir, `${top}cats`, 'red.png'), path.join(dir, `${top}dogs`, 'link-to-red.png'));
  expected.push({ path: `${top}dogs/link-to-red.png`, outcome: 'kept', className: 'dogs', ...(layout === 'folders' ? { split: 'train' as const } : {}), conversions: [] });
  fs.symlinkSync(path.join(dir, 'nowhere.jpg'), path.join(dir, `${top}dogs`, 'broken-link.jpg'));
  expected.push({ path: `${top}dogs/broken-link.jpg`, outcome: 'skipped', reason: 'unreadable' });
  fs.symlinkSync(path.join(dir, `${top}dogs`), path.join(dir, `${top}dogs`, 'loop'));
  expected.push({ path: `${top}dogs/loop`, outcome: 'skipped', reason: 'unreadable' });

  await keep('café', 'naïve 猫.jpg', sharp(image(50, 50, () => [20, 40, 220]), raw(50, 50, 3)).jpeg().toBuffer());
  fs.mkdirSync(path.join(dir, `${top}empty`, 'also-empty'), { recursive: true });
  await skip('stray.jpg', sharp(red, raw(64, 48, 3)).jpeg().toBuffer(), 'outside-class-folder');
  await write('.cache/thumb.jpg', sharp(red, raw(64, 48, 3)).jpeg().toBuffer());
  expected.push({ path: '.cache', outcome: 'skipped', reason: 'not-an-image' });

  if (layout === 'folders') {
    // The same bytes as train/cats/red.png: a duplicate, and leakage between the splits.
    await keep('cats', 'leak.png', fs.readFileSync(path.join(dir, 'train/cats/red.png')), [], 'test');
    await keep('dogs', 'blue.png', sharp(image(30, 30, () => [20, 40, 220]), raw(30, 30, 3)).png().toBuffer(), [], 'test');
    await keep('café', 'gris.png', sharp(Buffer.alloc(30 * 30, GREY_LEVEL), raw(30, 30, 1)).toColourspace('b-w').png().toBuffer(), ['greyscale; converted to sRGB'], 'test');
    await put('test/loose.png', sharp(red, raw(64, 48, 3)).png().toBuffer(), { outcome: 'skipped', reason: 'outside-class-folder' });
  }
  return expected;
}
