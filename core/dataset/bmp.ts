// A decoder for Windows BMP files, which sharp's own libvips build cannot read (it reads BMP only via ImageMagick).

/** The largest image accepted, as sharp's default limitInputPixels: a header can claim any size. */
const MAX_PIXELS = 0x3fff * 0x3fff;

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

export interface DecodedBmp {
  /** [height, width, channels] uint8, top row first, RGB(A) interleaved. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** 4 when the file has an alpha channel that is used (not zero everywhere), else 3. */
  channels: 3 | 4;
  /** What differs from 8-bit RGB, in the words the import report uses. */
  conversions: string[];
}

/** Whether the bytes start like a BMP file ('BM' and a plausible header size). */
export function isBmp(bytes: Uint8Array): boolean {
  if (bytes.length < 26 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) return false;
  const header = bytes[14]! | (bytes[15]! << 8) | (bytes[16]! << 16) | (bytes[17]! << 24);
  return header === 12 || header >= 40;
}

/** One colour channel read through a bit mask, scaled to 0..255. */
interface Channel {
  mask: number;
  shift: number;
  max: number;
}

function channel(mask: number): Channel {
  const m = mask >>> 0;
  if (m === 0) return { mask: 0, shift: 0, max: 0 };
  let shift = 0;
  while (((m >>> shift) & 1) === 0) shift++;
  return { mask: m, shift, max: m >>> shift };
}

const read = (c: Channel, value: number) => (c.max === 0 ? 0 : Math.round((((value & c.mask) >>> c.shift) * 255) / c.max));

/** Decodes an uncompressed (BI_RGB or bit-field) BMP of 1, 4, 8, 16, 24 or 32 bits a pixel; throws on anything else. */
export function decodeBmp(bytes: Uint8Array): DecodedBmp {
  if (!isBmp(bytes)) throw new Error('not a BMP file (no BM header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (end: number, what: string) => {
    if (end > bytes.length) throw new Error(`BMP file is truncated: ${what} needs ${end} bytes, the file has ${bytes.length}`);
  };
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  need(14 + headerSize, 'the header');
  let width: number;
  let signedHeight: number;
  let bitsPerPixel: number;
  let compression = BI_RGB;
  let coloursUsed = 0;
  let paletteEntryBytes = 4;
  if (headerSize === 12) {
    // OS/2 BITMAPCOREHEADER: 16-bit sizes, 3-byte palette entries.
    width = view.getUint16(18, true);
    signedHeight = view.getInt16(20, true);
    bitsPerPixel = view.getUint16(24, true);
    paletteEntryBytes = 3;
  } else {
    width = view.getInt32(18, true);
    signedHeight = view.getInt32(22, true);
    bitsPerPixel = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    coloursUsed = view.getUint32(46, true);
  }
  const height = Math.abs(signedHeight);
  const topDown = signedHeight < 0;
  if (width <= 0 || height === 0) throw new Error(`BMP header gives a size of ${width}x${signedHeight}`);
  if (width * height > MAX_PIXELS) throw new Error(`BMP of ${width}x${height} pixels is larger than the ${MAX_PIXELS}-pixel limit`);
  if (compression === BI_RLE8 || compression === BI_RLE4) throw new Error('run-length-compressed BMP is not supported');
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new Error(`BMP compression ${compression} (embedded JPEG or PNG) is not supported`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) throw new Error(`BMP with ${bitsPerPixel} bits a pixel is not supported`);

  // Bit masks: in the header from version 2 on (size >= 52), else right after a 40-byte header.
  let red = channel(0x7c00);
  let green = channel(0x03e0);
  let blue = channel(0x001f);
  let alpha = channel(0);
  if (bitsPerPixel === 32) {
    red = channel(0x00ff0000);
    green = channel(0x0000ff00);
    blue = channel(0x000000ff);
  }
  let masksEnd = 14 + headerSize;
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bitsPerPixel !== 16 && bitsPerPixel !== 32) throw new Error(`BMP bit fields with ${bitsPerPixel} bits a pixel are not supported`);
    const withAlpha = compression === BI_ALPHABITFIELDS || headerSize >= 56;
    if (headerSize === 40) masksEnd += withAlpha ? 16 : 12;
    need(54 + (withAlpha ? 16 : 12), 'the bit masks');
    red = channel(view.getUint32(54, true));
    green = channel(view.getUint32(58, true));
    blue = channel(view.getUint32(62, true));
    if (withAlpha) alpha = channel(view.getUint32(66, true));
  } else if (bitsPerPixel === 32 && headerSize >= 56) {
    // A version 3+ header may name an alpha mask even for BI_RGB; without one the fourth byte is padding.
    alpha = channel(view.getUint32(66, true));
  }

  let palette: Uint8Array | undefined;
  if (bitsPerPixel <= 8) {
    const entries = coloursUsed > 0 && coloursUsed <= 1 << bitsPerPixel ? coloursUsed : 1 << bitsPerPixel;
    need(masksEnd + entries * paletteEntryBytes, 'the palette');
    palette = new Uint8Array((1 << bitsPerPixel) * 3); // indices past the palette read as black
    for (let i = 0; i < entries; i++) {
      const at = masksEnd + i * paletteEntryBytes;
      palette[i * 3] = bytes[at + 2]!;
      palette[i * 3 + 1] = bytes[at + 1]!;
      palette[i * 3 + 2] = bytes[at]!;
    }
  }

  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  need(dataOffset + stride * (height - 1) + Math.ceil((bitsPerPixel * width) / 8), 'the pixel data');
  const rgba = new Uint8Array(width * height * 4);
  let alphaUsed = false;
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      let r: number;
      let g: number;
      let b: number;
      let a = 255;
      if (palette) {
        const bit = x * bitsPerPixel;
        const index = (bytes[row + (bit >> 3)]! >> (8 - bitsPerPixel - (bit & 7))) & ((1 << bitsPerPixel) - 1);
        r = palette[index * 3]!;
        g = palette[index * 3 + 1]!;
        b = palette[index * 3 + 2]!;
      } else if (bitsPerPixel === 24) {
        b = bytes[row + x * 3]!;
        g = bytes[row + x * 3 + 1]!;
        r = bytes[row + x * 3 + 2]!;
      } else {
        const value = bitsPerPixel === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
        r = read(red, value);
        g = read(green, value);
        b = read(blue, value);
        if (alpha.max > 0) {
          a = read(alpha, value);
          if (a !== 0) alphaUsed = true;
        }
      }
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = a;
    }
  }
  const conversions: string[] = [];
  if (palette) conversions.push('palette colours; converted to 8-bit sRGB');
  else if (bitsPerPixel === 16) conversions.push('16-bit BMP (5 or 6 bits a channel); converted to 8-bit sRGB');
  // Many writers leave the alpha byte at zero everywhere; such a file is opaque, not invisible.
  if (alpha.max > 0 && alphaUsed) return { pixels: rgba, width, height, channels: 4, conversions };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
    rgb[o] = rgba[i]!;
    rgb[o + 1] = rgba[i + 1]!;
    rgb[o + 2] = rgba[i + 2]!;
  }
  return { pixels: rgb, width, height, channels: 3, conversions };
}
