// Decodes any image file into the cache's form: 8-bit sRGB, 3 channels, shorter side 256, centre 256x256 (section 2),
// resized by resample.ts (Lanczos-3 both ways).
import fs from 'node:fs';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { decodeBmp, isBmp } from './bmp';
import { resizeAndCentreCrop, resizeAndCentreCropByBands } from './resample';
import { CACHE_IMAGE_SIZE, type SkipReason } from './types';

/** Why a file could not be decoded; these are also the import report's skip reasons. */
export type DecodeFailure = Extract<SkipReason, 'undecodable' | 'empty-file' | 'unreadable'>;

export class DecodeError extends Error {
  override name = 'DecodeError';
  /**
   * @param reason the skip reason the import reports.
   * @param detail what went wrong without the file name, e.g. 'cannot be decoded: VipsJpeg: Premature end of input file'.
   */
  constructor(
    readonly reason: DecodeFailure,
    readonly file: string,
    readonly detail: string,
  ) {
    super(`Image '${file}' ${detail}`);
  }
}

export interface DecodedImage {
  /** [256, 256, 3] uint8, row-major, RGB interleaved: one cache record. */
  pixels: Uint8Array;
  /** Size of the source after EXIF orientation. */
  width: number;
  height: number;
  /** What was converted, in words, e.g. '16-bit greyscale; converted to 8-bit sRGB'. Empty for 8-bit sRGB RGB. */
  conversions: string[];
}

/** Describes how the source differs from opaque, upright, single-frame 8-bit sRGB RGB, from sharp's metadata. */
function describeSource(meta: Metadata): string[] {
  const notes: string[] = [];
  const grey = meta.space === 'b-w' || meta.space === 'grey16';
  const bits = meta.depth === 'ushort' ? '16-bit ' : meta.depth === 'uchar' || meta.depth === undefined ? '' : `${meta.depth} `;
  if (meta.space === 'cmyk') notes.push(`${bits}CMYK; converted to sRGB`);
  else if (meta.isPalette) notes.push('palette colours; converted to 8-bit sRGB');
  else if (bits !== '') notes.push(`${bits}${grey ? 'greyscale' : 'RGB'}; converted to 8-bit sRGB`);
  else if (grey) notes.push('greyscale; converted to sRGB');
  else if (meta.space !== 'srgb') notes.push(`colour space '${meta.space}'; converted to sRGB`);
  if (meta.orientation !== undefined && meta.orientation > 1 && meta.orientation <= 8) notes.push(`EXIF orientation ${meta.orientation} applied`);
  if (meta.pages !== undefined && meta.pages > 1) notes.push(`first of ${meta.pages} frames used`);
  return notes;
}

/** The whole image, upright, as 8-bit sRGB: RGB, or RGBA when it has an alpha channel (flattened below). */
async function decodeUpright(input: Sharp, hasAlpha: boolean): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  // Working in sRGB from the start converts CMYK (with its profile, or sharp's generic one) and 16-bit data once.
  let pipeline = input.pipelineColourspace('srgb').rotate().toColourspace('srgb');
  if (!hasAlpha) pipeline = pipeline.removeAlpha();
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const channels = hasAlpha ? 4 : 3;
  if (info.channels !== channels || data.length !== info.width * info.height * channels) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}; expected ${channels} channels`);
  }
  return { data, width: info.width, height: info.height, channels };
}

/** Above this many decoded bytes a photo is read a band of rows at a time: an 8000x6000 photo is 144 MB decoded. */
export const WHOLE_DECODE_LIMIT = 32 * 1024 * 1024;
/** The decoded bytes of one band. */
const BAND_BYTES = 16 * 1024 * 1024;

/**
 * Decodes an upright (unrotated) photo a band of rows at a time and resizes it as it comes, to the same bytes as a
 * whole decode gives: libvips reads JPEG and PNG sequentially, so a band costs the rows up to it, and memory holds one
 * band, never the whole image.
 */
async function decodeInBands(bytes: Uint8Array, width: number, height: number, hasAlpha: boolean, conversions: string[]): Promise<Uint8Array> {
  const channels = hasAlpha ? 4 : 3;
  const bandRows = Math.max(1, Math.floor(BAND_BYTES / (width * channels)));
  let translucent = false;
  const pixels = await resizeAndCentreCropByBands(width, height, CACHE_IMAGE_SIZE, bandRows, async (top, rows) => {
    let pipeline = sharp(bytes, { failOn: 'truncated', sequentialRead: true }).pipelineColourspace('srgb').extract({ left: 0, top, width, height: rows }).toColourspace('srgb');
    if (!hasAlpha) pipeline = pipeline.removeAlpha();
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels || data.length !== rows * width * channels) throw new Error(`a band decoded to ${info.width}x${info.height}x${info.channels}; expected ${width}x${rows}x${channels}`);
    if (channels === 3) return data;
    const rgb = new Uint8Array(rows * width * 3);
    if (flattenOverWhite(data, rgb)) translucent = true;
    return rgb;
  });
  if (translucent) conversions.push('alpha channel flattened over white');
  return pixels;
}

/** Composites RGBA over white into RGB. Returns whether any pixel was see-through. */
function flattenOverWhite(rgba: Uint8Array, out: Uint8Array): boolean {
  let translucent = false;
  for (let i = 0, o = 0; o < out.length; i += 4, o += 3) {
    const a = rgba[i + 3]!;
    if (a === 255) {
      out[o] = rgba[i]!;
      out[o + 1] = rgba[i + 1]!;
      out[o + 2] = rgba[i + 2]!;
    } else {
      translucent = true;
      const white = 255 * (255 - a);
      out[o] = Math.round((rgba[i]! * a + white) / 255);
      out[o + 1] = Math.round((rgba[i + 1]! * a + white) / 255);
      out[o + 2] = Math.round((rgba[i + 2]! * a + white) / 255);
    }
  }
  return translucent;
}

/**
 * Decodes image bytes (any format sharp reads, plus BMP) into one cache record.
 * Throws DecodeError('empty-file') for 0 bytes and DecodeError('undecodable') for anything that cannot be read whole.
 * @param name the file's name, for messages only.
 */
export async function decodeImageBytes(bytes: Uint8Array, name: string): Promise<DecodedImage> {
  if (bytes.length === 0) throw new DecodeError('empty-file', name, 'is empty (0 bytes)');
  try {
    let input: Sharp;
    let width: number;
    let height: number;
    let hasAlpha: boolean;
    let orientation: number | undefined;
    const conversions: string[] = [];
    if (isBmp(bytes)) {
      // libvips reads BMP only through ImageMagick, which sharp's own binaries leave out.
      const bmp = decodeBmp(bytes);
      input = sharp(bmp.pixels, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels } });
      ({ width, height } = bmp);
      hasAlpha = bmp.channels === 4;
      conversions.push(...bmp.conversions);
    } else {
      // failOn 'truncated' refuses a cut-off JPEG or PNG instead of silently filling the rest with grey.
      input = sharp(bytes, { failOn: 'truncated' });
      const meta = await input.metadata();
      ({ width, height } = meta.autoOrient);
      hasAlpha = meta.hasAlpha;
      orientation = meta.orientation;
      conversions.push(...describeSource(meta));
    }
    if (!isBmp(bytes) && (orientation ?? 1) === 1 && width * height * (hasAlpha ? 4 : 3) > WHOLE_DECODE_LIMIT) {
      return { pixels: await decodeInBands(bytes, width, height, hasAlpha, conversions), width, height, conversions };
    }
    const upright = await decodeUpright(input, hasAlpha);
    let rgb: Uint8Array = upright.data;
    if (upright.channels === 4) {
      rgb = new Uint8Array(upright.width * upright.height * 3);
      // An alpha channel that is opaque everywhere changes nothing, so it is not reported.
      if (flattenOverWhite(upright.data, rgb)) conversions.push('alpha channel flattened over white');
    }
    const pixels = resizeAndCentreCrop(rgb, upright.width, upright.height, CACHE_IMAGE_SIZE);
    return { pixels, width, height, conversions };
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    const message = (error as Error).message;
    // libvips keeps its error text in one buffer for all threads: with several decodes in flight a failure can arrive
    // with no text ('Unknown error'), or with other files' lines mixed in (a JPEG's complaint for a cut-off PNG, seen
    // here). Keep this file's own lines; with none left, say what these bytes are, so the report gives its reason.
    const reason = ownLines(message, bytes) ?? `${describeBytes(bytes)} (the decoder gave no detail of its own)`;
    throw new DecodeError('undecodable', name, `cannot be decoded: ${reason}`);
  }
}

/** The format a file's first bytes name, or undefined. */
function sniffFormat(bytes: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  const formats: [string, boolean][] = [
    ['PNG', bytes[0] === 0x89 && ascii(1, 4) === 'PNG'],
    ['JPEG', bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff],
    ['GIF', ascii(0, 4) === 'GIF8'],
    ['WebP', ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP'],
    ['TIFF', ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*'],
    ['AVIF or HEIF', ascii(4, 8) === 'ftyp'],
  ];
  return formats.find(([, matches]) => matches)?.[0];
}

/** What a file's first bytes say it is, for a decode failure without a message of its own. */
function describeBytes(bytes: Uint8Array): string {
  const format = sniffFormat(bytes);
  return format ? `${format} data that is damaged or cut short` : 'not data of any image format this app reads';
}

/** libvips's loaders by the format they read, as they name themselves in errors. */
const LOADER_NAMES: Record<string, RegExp> = { PNG: /vipspng|libpng|\bpng\b/i, JPEG: /vipsjpeg|jpeg/i, GIF: /\bgif/i, WebP: /webp/i, TIFF: /tiff/i };

/** The lines of a decoder's message that can be this file's (none naming another format's loader), or undefined. */
function ownLines(message: string, bytes: Uint8Array): string | undefined {
  const format = sniffFormat(bytes);
  const other = (line: string) => format !== undefined && Object.entries(LOADER_NAMES).some(([name, pattern]) => name !== format && pattern.test(line) && !(LOADER_NAMES[format]?.test(line) ?? false));
  const lines = [...new Set(message.split('\n').map((l) => l.trim()))].filter((l) => l !== '' && l !== 'Unknown error' && !other(l));
  return lines.length > 0 ? lines.join('; ') : undefined;
}

/** Reads a whole file; DecodeError('unreadable') when it cannot be read, ('empty-file') when it has no bytes. */
export async function readImageFile(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new DecodeError('unreadable', file, `cannot be read: ${code && !message.startsWith(code) ? `${code}: ` : ''}${message}`);
  }
  if (bytes.length === 0) throw new DecodeError('empty-file', file, 'is empty (0 bytes)');
  return bytes;
}

/** Reads and decodes one file into a cache record, exactly as the import does. */
export async function decodeToCache(file: string): Promise<DecodedImage> {
  return decodeImageBytes(await readImageFile(file), file);
}

/** Any image file, decoded and preprocessed exactly as at import, ready for the model (e.g. to predict on it). */
export async function decodeForModel(file: string): Promise<DecodedImage> {
  return decodeToCache(file);
}
