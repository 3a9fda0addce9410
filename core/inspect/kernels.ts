// conv1's kernels as images and their colour specificity: the measurement behind the paper's Figure 3.
import sharp from 'sharp';

/** Filter weights in tfjs' HWIO layout: [kernelHeight, kernelWidth, inChannels (3), outChannels]. */
export type KernelShape = [number, number, number, number];

function check(weights: ArrayLike<number>, shape: KernelShape): void {
  const [kh, kw, ci, co] = shape;
  if (ci !== 3) throw new Error(`Kernel grids need 3 input channels (RGB); the shape is [${shape}].`);
  if (weights.length !== kh * kw * ci * co) throw new Error(`Weights have ${weights.length} values; shape [${shape}] needs ${kh * kw * ci * co}.`);
}

/** Value of kernel `k` at (y, x, c) in an HWIO array. */
function at(weights: ArrayLike<number>, shape: KernelShape, k: number, y: number, x: number, c: number): number {
  const [, kw, ci, co] = shape;
  return weights[((y * kw + x) * ci + c) * co + k]!;
}

/**
 * Colour specificity of one kernel, in [0, 1]. With m(x, y) the mean of the kernel over its three colour channels,
 * the chromatic energy is C = sum over x, y, c of (w(x, y, c) - m(x, y))^2 and the total energy is
 * T = sum of (w(x, y, c) - mean of all w)^2; the score is C / T (0 when T is 0). A colour-agnostic kernel (the same
 * pattern in R, G and B) scores 0; a kernel whose channels cancel at every pixel (pure colour opponency, no
 * luminance) scores 1. The paper's Figure 3 shows one tower's kernels mostly near 0 and the other's high.
 */
export function colourSpecificity(weights: ArrayLike<number>, shape: KernelShape, k: number): number {
  check(weights, shape);
  const [kh, kw] = shape;
  let total = 0;
  let count = 0;
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < 3; c++) {
    total += at(weights, shape, k, y, x, c);
    count++;
  }
  const mean = total / count;
  let chromatic = 0;
  let energy = 0;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const r = at(weights, shape, k, y, x, 0);
      const g = at(weights, shape, k, y, x, 1);
      const b = at(weights, shape, k, y, x, 2);
      const m = (r + g + b) / 3;
      chromatic += (r - m) ** 2 + (g - m) ** 2 + (b - m) ** 2;
      energy += (r - mean) ** 2 + (g - mean) ** 2 + (b - mean) ** 2;
    }
  }
  return energy === 0 ? 0 : chromatic / energy;
}

export function kernelScores(weights: ArrayLike<number>, shape: KernelShape): number[] {
  return Array.from({ length: shape[3] }, (_, k) => colourSpecificity(weights, shape, k));
}

/** Mean colour specificity of kernels [start, end) (one tower's). */
export function towerColourSpecificity(weights: ArrayLike<number>, shape: KernelShape, start: number, end: number): number {
  if (!(start >= 0 && end <= shape[3] && start < end)) throw new Error(`Kernel range [${start}, ${end}) is outside 0..${shape[3]}.`);
  let sum = 0;
  for (let k = start; k < end; k++) sum += colourSpecificity(weights, shape, k);
  return sum / (end - start);
}

export interface GridOptions {
  /** Kernels per row. Default 8. */
  columns?: number;
  /** Pixels per kernel pixel (nearest neighbour). Default 1. */
  scale?: number;
  /** Pixels between kernels. Default 1. */
  padding?: number;
}

/**
 * The kernels as an RGB grid, each contrast-stretched on its own (its minimum to 0 and maximum to 255 over all three
 * channels together, so colour is kept; a constant kernel is mid grey), on a dark grey background.
 */
export function kernelGridRgba(weights: ArrayLike<number>, shape: KernelShape, options: GridOptions = {}): { width: number; height: number; data: Uint8Array } {
  check(weights, shape);
  const [kh, kw, , co] = shape;
  const columns = Math.max(1, Math.min(options.columns ?? 8, co));
  const scale = options.scale ?? 1;
  const padding = options.padding ?? 1;
  const rows = Math.ceil(co / columns);
  const cellW = kw * scale;
  const cellH = kh * scale;
  const width = columns * cellW + (columns + 1) * padding;
  const height = rows * cellH + (rows + 1) * padding;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([40, 40, 40, 255], i * 4);
  for (let k = 0; k < co; k++) {
    let min = Infinity;
    let max = -Infinity;
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < 3; c++) {
      const v = at(weights, shape, k, y, x, c);
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const range = max - min;
    const left = padding + (k % columns) * (cellW + padding);
    const top = padding + Math.floor(k / columns) * (cellH + padding);
    for (let y = 0; y < cellH; y++) {
      for (let x = 0; x < cellW; x++) {
        const o = ((top + y) * width + left + x) * 4;
        for (let c = 0; c < 3; c++) {
          const v = at(weights, shape, k, Math.floor(y / scale), Math.floor(x / scale), c);
          data[o + c] = range === 0 ? 128 : Math.round(((v - min) / range) * 255);
        }
        data[o + 3] = 255;
      }
    }
  }
  return { width, height, data };
}

export async function kernelGridPng(weights: ArrayLike<number>, shape: KernelShape, options: GridOptions = {}): Promise<Buffer> {
  const grid = kernelGridRgba(weights, shape, options);
  return sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: 4 } }).png().toBuffer();
}
