// conv1's kernels as images and their colour specificity: the measurement behind the paper's Figure 3.
import sharp from 'sharp';
import type { KernelSnapshotRow } from '../runlog/run-log';

/** Filter weights in tfjs' HWIO layout: [kernelHeight, kernelWidth, inChannels (3), outChannels]. */
export type KernelShape = [number, number, number, number];

/** Grid background between kernels: dark grey, so that a kernel's black (its minimum) stands out. */
export const GRID_BACKGROUND = 40;

function check(weights: ArrayLike<number>, shape: KernelShape): void {
  const [kh, kw, ci, co] = shape;
  if (shape.length !== 4 || ![kh, kw, co].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`Kernel shape [${shape.join(', ')}] is not allowed; expected [height, width, 3, kernels] with whole, positive sizes.`);
  }
  if (ci !== 3) throw new Error(`Kernel images need 3 input channels (RGB); the shape is [${shape.join(', ')}].`);
  if (weights.length !== kh * kw * ci * co) {
    throw new Error(`Weights have ${weights.length} values; shape [${shape.join(', ')}] needs ${kh * kw * ci * co}.`);
  }
}

function checkKernel(shape: KernelShape, k: number): void {
  if (!Number.isInteger(k) || k < 0 || k >= shape[3]) throw new Error(`Kernel ${k} does not exist; the weights hold kernels 0 to ${shape[3] - 1}.`);
}

/** Index of kernel `k`'s value at (y, x, c) in an HWIO array. */
function offset(shape: KernelShape, k: number, y: number, x: number, c: number): number {
  return ((y * shape[1] + x) * 3 + c) * shape[3] + k;
}

/**
 * How much of a conv1 kernel is colour rather than light and dark: a score in [0, 1].
 *
 * For kernel w with values w(x, y, c) over its pixels and three colour channels, let m(x, y) be the mean of the three
 * channels at a pixel (the kernel's grey, luminance-like part) and w̄ the mean of all its values (11 x 11 x 3 = 363 for
 * AlexNet). The chromatic energy is C = Σ_{x,y,c} (w(x, y, c) - m(x, y))², the total energy is
 * T = Σ_{x,y,c} (w(x, y, c) - w̄)², and the score is C / T (0 for a constant kernel, where T = 0).
 *
 * - 0: a colour-agnostic kernel, the same pattern in R, G and B (an edge or grating in grey).
 * - 1: a kernel whose channels cancel at every pixel, pure colour opponency with no luminance (e.g. red against green).
 *
 * T splits exactly into C plus the grey part's energy L = 3 Σ_{x,y} (m(x, y) - w̄)², because the channel deviations
 * sum to zero at each pixel; the score is computed as C / (C + L), which cannot leave [0, 1] by rounding.
 * In the paper's Figure 3, tower 1's kernels are largely colour-agnostic (low scores) and tower 2's largely
 * colour-specific (high scores). Random kernels already score about 2/3 (two of the three colour directions at each
 * pixel are chromatic), so a score is read against that baseline: see colour-baseline.ts.
 */
export function colourSpecificity(weights: ArrayLike<number>, shape: KernelShape, k: number): number {
  check(weights, shape);
  checkKernel(shape, k);
  return specificity(weights, shape, k);
}

/** colourSpecificity without the input checks, for callers that made them. */
function specificity(weights: ArrayLike<number>, shape: KernelShape, k: number): number {
  const [kh, kw] = shape;
  let sum = 0;
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < 3; c++) sum += weights[offset(shape, k, y, x, c)]!;
  const mean = sum / (kh * kw * 3);
  let chromatic = 0;
  let grey = 0;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const r = weights[offset(shape, k, y, x, 0)]!;
      const g = weights[offset(shape, k, y, x, 1)]!;
      const b = weights[offset(shape, k, y, x, 2)]!;
      const m = (r + g + b) / 3;
      chromatic += (r - m) ** 2 + (g - m) ** 2 + (b - m) ** 2;
      grey += 3 * (m - mean) ** 2;
    }
  }
  const total = chromatic + grey;
  return total === 0 ? 0 : chromatic / total;
}

/** A kernel snapshot's conv1 weights, one HWIO tensor per tower ('a', 'b'), sharing one copy of the stored bytes. */
export function snapshotTowers(snapshot: Pick<KernelSnapshotRow, 'shape' | 'data'>): { shape: KernelShape; towers: { tower: string; weights: Float32Array }[] } {
  const shape = snapshot.shape as KernelShape;
  const perTower = shape.reduce((a, b) => a * b, 1);
  const all = new Float32Array(snapshot.data.buffer.slice(snapshot.data.byteOffset, snapshot.data.byteOffset + snapshot.data.byteLength));
  const towers = Array.from({ length: Math.ceil(all.length / perTower) }, (_, t) => ({ tower: 'ab'[t] ?? String(t), weights: all.subarray(t * perTower, (t + 1) * perTower) }));
  return { shape, towers };
}

/** The colour specificity of every kernel, in kernel order (see colourSpecificity). */
export function kernelScores(weights: ArrayLike<number>, shape: KernelShape): number[] {
  check(weights, shape);
  return Array.from({ length: shape[3] }, (_, k) => specificity(weights, shape, k));
}

/**
 * Mean colour specificity of kernels [outChannelStart, outChannelEnd): one tower's, e.g. 0..48 and 48..96 of the
 * paper's 96 conv1 kernels, or all of a tower's own weight tensor.
 */
export function towerColourSpecificity(weights: ArrayLike<number>, shape: KernelShape, outChannelStart: number, outChannelEnd: number): number {
  check(weights, shape);
  if (!(Number.isInteger(outChannelStart) && Number.isInteger(outChannelEnd) && outChannelStart >= 0 && outChannelEnd <= shape[3] && outChannelStart < outChannelEnd)) {
    throw new Error(`Kernel range [${outChannelStart}, ${outChannelEnd}) is not allowed; use whole numbers with 0 <= start < end <= ${shape[3]}.`);
  }
  let sum = 0;
  for (let k = outChannelStart; k < outChannelEnd; k++) sum += specificity(weights, shape, k);
  return sum / (outChannelEnd - outChannelStart);
}

export interface GridOptions {
  /** Kernels per grid row. Default 8; 1 to the number of kernels (larger values are reduced to it). */
  columns?: number;
  /** Screen pixels per kernel pixel, enlarged by nearest neighbour. Default 1; 1 to 64. */
  scale?: number;
  /** Background pixels around and between kernels. Default 1; 0 to 64. */
  padding?: number;
}

/** An RGBA image: [height, width, 4] uint8, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

function option(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`Kernel grid ${name} ${v} is not allowed; use a whole number from ${min} to ${max}.`);
  return v;
}

/**
 * The kernels as an RGBA grid for display, left to right then top to bottom in kernel order. Each kernel is
 * contrast-stretched on its own, over its three channels together so that its colours keep their balance: its minimum
 * becomes 0, its maximum 255, values in between round linearly; a constant kernel is mid grey (128). The background and
 * padding are dark grey (GRID_BACKGROUND); the image is opaque.
 */
export function kernelGridRgba(weights: ArrayLike<number>, shape: KernelShape, options: GridOptions = {}): RgbaImage {
  check(weights, shape);
  const [kh, kw, , co] = shape;
  const columns = Math.min(option(options.columns, 8, 'columns', 1, Number.MAX_SAFE_INTEGER), co);
  const scale = option(options.scale, 1, 'scale', 1, 64);
  const padding = option(options.padding, 1, 'padding', 0, 64);
  const rows = Math.ceil(co / columns);
  const cellWidth = kw * scale;
  const cellHeight = kh * scale;
  const width = columns * cellWidth + (columns + 1) * padding;
  const height = rows * cellHeight + (rows + 1) * padding;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = data[i * 4 + 1] = data[i * 4 + 2] = GRID_BACKGROUND;
    data[i * 4 + 3] = 255;
  }
  const pixels = new Uint8Array(kh * kw * 3); // one stretched kernel, [kh, kw, 3]
  for (let k = 0; k < co; k++) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < kh * kw * 3; i++) {
      const v = weights[i * co + k]!;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const range = max - min;
    for (let i = 0; i < kh * kw * 3; i++) pixels[i] = range === 0 ? 128 : Math.round(((weights[i * co + k]! - min) / range) * 255);
    const left = padding + (k % columns) * (cellWidth + padding);
    const top = padding + Math.floor(k / columns) * (cellHeight + padding);
    for (let y = 0; y < cellHeight; y++) {
      for (let x = 0; x < cellWidth; x++) {
        const from = (Math.floor(y / scale) * kw + Math.floor(x / scale)) * 3;
        const to = ((top + y) * width + left + x) * 4;
        data[to] = pixels[from]!;
        data[to + 1] = pixels[from + 1]!;
        data[to + 2] = pixels[from + 2]!;
      }
    }
  }
  return { width, height, data };
}

/** kernelGridRgba encoded as an RGB PNG (sharp). */
export async function kernelGridPng(weights: ArrayLike<number>, shape: KernelShape, options: GridOptions = {}): Promise<Buffer> {
  const grid = kernelGridRgba(weights, shape, options);
  return sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: 4 } })
    .removeAlpha()
    .png()
    .toBuffer();
}
