// The importer's resize (section 2: shorter side to 256, then the centre 256x256), the same in both directions.
//
// Lanczos-3 when shrinking and when enlarging, computed exactly as torchvision's `center_crop(resize(image, 256,
// LANCZOS), 256)` does on a Pillow image (Pillow's libImaging/Resample.c): separable filters, the horizontal pass
// first, coefficients normalised to sum 1 and kept as 22-bit fixed point, each pass rounded to 8 bits. An image is
// then the same bytes here and in a PyTorch program that loads it with Pillow and torchvision. libvips (sharp) is not
// used for this step: it ignores the named kernel when enlarging (it interpolates bicubically instead), and most
// photos of small datasets are enlarged.

/** Pillow's fixed-point precision for 8-bit images: 32 - 8 - 2 bits. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
/** The Lanczos window: a = 3 lobes on each side. */
const LANCZOS_SUPPORT = 3;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Lanczos-3: sinc(x) sinc(x / 3) on [-3, 3), 0 outside. */
export function lanczos3(x: number): number {
  return x >= -LANCZOS_SUPPORT && x < LANCZOS_SUPPORT ? sinc(x) * sinc(x / LANCZOS_SUPPORT) : 0;
}

/** One axis's filter taps: for output i, `count[i]` weights from input `first[i]` on, at `weights[i * width]`. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  width: number;
}

/**
 * The taps that resize an axis of `inSize` pixels to `outSize`, for outputs [from, from + n): Pillow's
 * precompute_coeffs and normalize_coeffs_8bpc. Output pixel i's centre sits at input coordinate (i + 0.5) scale; when
 * shrinking the filter is widened by the scale (so it also removes what the smaller image cannot hold).
 */
function taps(inSize: number, outSize: number, from: number, n: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = LANCZOS_SUPPORT * filterScale;
  const width = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * width);
  const raw = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    const centre = (from + i + 0.5) * scale;
    // C's (int) casts truncate toward zero; both values are >= -support + 0.5 > -width, and Math.trunc matches.
    const min = Math.max(0, Math.trunc(centre - support + 0.5));
    const max = Math.min(inSize, Math.trunc(centre + support + 0.5));
    let sum = 0;
    for (let x = 0; x < max - min; x++) {
      raw[x] = lanczos3((x + min - centre + 0.5) / filterScale);
      sum += raw[x]!;
    }
    for (let x = 0; x < max - min; x++) {
      const w = sum !== 0 ? raw[x]! / sum : raw[x]!;
      weights[i * width + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[i] = min;
    count[i] = max - min;
  }
  return { first, count, weights, width };
}

/** A fixed-point sum back to 8 bits: the rounding half was added at the start; clamp to 0..255. */
function clip8(sum: number): number {
  if (sum <= 0) return 0;
  const v = Math.floor(sum / ONE);
  return v > 255 ? 255 : v;
}

/** Python's round() (half to even), as torchvision's centre crop uses it. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The size torchvision resizes to for a shorter side of `side`: the longer side scaled and truncated. */
export function resizedSize(width: number, height: number, side: number): { width: number; height: number } {
  if (width <= height) return { width: side, height: Math.trunc((side * height) / width) };
  return { width: Math.trunc((side * width) / height), height: side };
}

/** Which input rows the kept output rows read, and the filters of both passes. */
interface Plan {
  width: number;
  height: number;
  side: number;
  left: number;
  top: number;
  horizontal: Taps | undefined;
  vertical: Taps | undefined;
  rowFrom: number;
  rowTo: number;
}

function plan(width: number, height: number, side: number): Plan {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) throw new Error(`Image size ${width}x${height} is not allowed; expected whole, positive sizes.`);
  const target = resizedSize(width, height, side);
  const top = roundHalfEven((target.height - side) / 2);
  const left = roundHalfEven((target.width - side) / 2);
  // The input rows the kept output rows read (all of them when the height does not change).
  const vertical = target.height !== height ? taps(height, target.height, top, side) : undefined;
  const rowFrom = vertical ? vertical.first[0]! : top;
  const rowTo = vertical ? vertical.first[side - 1]! + vertical.count[side - 1]! : top + side;
  const horizontal = target.width !== width ? taps(width, target.width, left, side) : undefined;
  return { width, height, side, left, top, horizontal, vertical, rowFrom, rowTo };
}

/**
 * The horizontal pass over input rows [from, to) of `rgb`, whose first row is input row `first`, into `across`
 * ([rowTo - rowFrom, side, 3] uint8: Pillow also skips unused rows).
 */
function horizontalPass(p: Plan, rgb: Uint8Array, first: number, from: number, to: number, across: Uint8Array): void {
  const { width, side, left, horizontal: h } = p;
  for (let row = from; row < to; row++) {
    const src = (row - first) * width * 3;
    const y = row - p.rowFrom;
    if (!h) {
      across.set(rgb.subarray(src + left * 3, src + (left + side) * 3), y * side * 3);
      continue;
    }
    for (let x = 0; x < side; x++) {
      const k = x * h.width;
      const start = src + h.first[x]! * 3;
      let r = ONE / 2, g = ONE / 2, b = ONE / 2;
      for (let t = 0; t < h.count[x]!; t++) {
        const w = h.weights[k + t]!;
        r += rgb[start + t * 3]! * w;
        g += rgb[start + t * 3 + 1]! * w;
        b += rgb[start + t * 3 + 2]! * w;
      }
      const o = (y * side + x) * 3;
      across[o] = clip8(r);
      across[o + 1] = clip8(g);
      across[o + 2] = clip8(b);
    }
  }
}

function verticalPass(p: Plan, across: Uint8Array): Uint8Array {
  const { side, vertical } = p;
  const out = new Uint8Array(side * side * 3);
  if (!vertical) {
    out.set(across);
    return out;
  }
  for (let y = 0; y < side; y++) {
    const k = y * vertical.width;
    const start = vertical.first[y]! - p.rowFrom;
    for (let x = 0; x < side * 3; x++) {
      let sum = ONE / 2;
      for (let t = 0; t < vertical.count[y]!; t++) sum += across[(start + t) * side * 3 + x]! * vertical.weights[k + t]!;
      out[y * side * 3 + x] = clip8(sum);
    }
  }
  return out;
}

/**
 * Resizes RGB pixels so that the shorter side is `side` and keeps the centre `side` x `side`, as described at the top.
 * @param rgb [height, width, 3] uint8, row-major.
 * @returns [side, side, 3] uint8.
 */
export function resizeAndCentreCrop(rgb: Uint8Array, width: number, height: number, side: number): Uint8Array {
  const p = plan(width, height, side);
  if (rgb.length !== width * height * 3) throw new Error(`An RGB image of ${width}x${height} has ${width * height * 3} bytes; got ${rgb.length}.`);
  const across = new Uint8Array((p.rowTo - p.rowFrom) * side * 3);
  horizontalPass(p, rgb, 0, p.rowFrom, p.rowTo, across);
  return verticalPass(p, across);
}

/** The input rows the resize reads, [from, to): a reader of bands need decode no others. */
export function rowsRead(width: number, height: number, side: number): { from: number; to: number } {
  const p = plan(width, height, side);
  return { from: p.rowFrom, to: p.rowTo };
}

/**
 * The same bytes as resizeAndCentreCrop, reading the image a band of rows at a time (`band(top, rows)` answers
 * [rows, width, 3] uint8), so that a large photo is never held decoded whole: only one band and the horizontal
 * pass's [rows read, side, 3] are.
 */
export async function resizeAndCentreCropByBands(width: number, height: number, side: number, bandRows: number, band: (top: number, rows: number) => Promise<Uint8Array>): Promise<Uint8Array> {
  const p = plan(width, height, side);
  if (!Number.isInteger(bandRows) || bandRows < 1) throw new Error(`A band must be a whole number of rows, at least 1; got ${bandRows}.`);
  const across = new Uint8Array((p.rowTo - p.rowFrom) * side * 3);
  for (let top = p.rowFrom; top < p.rowTo; top += bandRows) {
    const rows = Math.min(bandRows, p.rowTo - top);
    const rgb = await band(top, rows);
    if (rgb.length !== rows * width * 3) throw new Error(`A band of ${rows} rows of a ${width}-pixel-wide RGB image has ${rows * width * 3} bytes; got ${rgb.length}.`);
    horizontalPass(p, rgb, top, top, top + rows, across);
  }
  return verticalPass(p, across);
}
