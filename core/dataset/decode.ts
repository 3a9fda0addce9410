// Decodes any image sharp can read into the cache's form: 8-bit sRGB, 3 channels, shorter side 256, centre 256x256.
import fs from 'node:fs';
import sharp, { type Metadata } from 'sharp';
import { CACHE_IMAGE_SIZE } from './types';

export class DecodeError extends Error {
  override name = 'DecodeError';
  constructor(
    readonly reason: 'undecodable' | 'empty-file' | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}

export interface Decoded {
  /** CACHE_IMAGE_SIZE x CACHE_IMAGE_SIZE x 3, RGB interleaved. */
  pixels: Uint8Array;
  /** Size of the source after EXIF orientation. */
  width: number;
  height: number;
  /** What was converted, in words, e.g. '16-bit greyscale; converted to 8-bit sRGB'. */
  conversions: string[];
}

/** Describes how the source differs from 8-bit sRGB RGB, from sharp's metadata. */
function describeConversions(meta: Metadata): string[] {
  const notes: string[] = [];
  const sixteen = meta.depth === 'ushort' || meta.space === 'rgb16' || meta.space === 'grey16';
  const grey = meta.space === 'b-w' || meta.space === 'grey16' || (meta.channels !== undefined && meta.channels <= 2);
  const palette = meta.isPalette;
  if (meta.space === 'cmyk') notes.push('CMYK; converted to sRGB');
  else if (palette) notes.push('palette; converted to 8-bit sRGB');
  else if (sixteen) notes.push(`16-bit ${grey ? 'greyscale' : 'RGB'}; converted to 8-bit sRGB`);
  else if (grey) notes.push('greyscale; converted to sRGB');
  if (meta.hasAlpha) notes.push('alpha channel flattened over white');
  if (meta.orientation !== undefined && meta.orientation > 1) notes.push(`EXIF orientation ${meta.orientation} applied`);
  return notes;
}

/** Decodes image bytes; throws DecodeError('undecodable') for anything sharp cannot read whole. */
export async function decodeBuffer(bytes: Buffer, name: string): Promise<Decoded> {
  if (bytes.length === 0) throw new DecodeError('empty-file', `'${name}' is empty (0 bytes).`);
  try {
    // failOn 'truncated' refuses partial JPEGs instead of filling them with grey.
    const input = sharp(bytes, { failOn: 'truncated', limitInputPixels: 16384 * 16384 });
    const meta = await input.metadata();
    const rotated = meta.orientation !== undefined && meta.orientation >= 5;
    const width = (rotated ? meta.height : meta.width) ?? 0;
    const height = (rotated ? meta.width : meta.height) ?? 0;
    // Work in 8-bit sRGB from the start: converts CMYK (with its profile, or a generic one) and 16-bit data.
    let pipeline = input.pipelineColourspace('srgb').rotate();
    if (meta.hasAlpha) pipeline = pipeline.flatten({ background: { r: 255, g: 255, b: 255 } });
    const { data, info } = await pipeline
      .resize(CACHE_IMAGE_SIZE, CACHE_IMAGE_SIZE, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== CACHE_IMAGE_SIZE || info.height !== CACHE_IMAGE_SIZE || info.channels !== 3 || data.length !== CACHE_IMAGE_SIZE * CACHE_IMAGE_SIZE * 3) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${CACHE_IMAGE_SIZE}x${CACHE_IMAGE_SIZE}x3`);
    }
    return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height, conversions: describeConversions(meta) };
  } catch (error) {
    throw new DecodeError('undecodable', `'${name}' cannot be decoded: ${(error as Error).message}`);
  }
}

/** Reads and decodes a file exactly as the import does (used to predict on any image file). */
export async function decodeForModel(file: string): Promise<Decoded> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (error) {
    throw new DecodeError('unreadable', `'${file}' cannot be read: ${(error as Error).message}`);
  }
  return decodeBuffer(bytes, file);
}
