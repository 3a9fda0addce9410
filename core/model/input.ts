// The network's input from a cached uint8 image: a crop, reflected or not, minus the mean image (section 2), plus a
// colour shift, scaled; and the box-filter shrink of presets smaller than the cache. Training (core/train/augment.ts)
// draws the crops and shifts at random; evaluation (core/evaluate) takes fixed ones.

/** Where one crop comes from. */
export interface CropSpec {
  top: number;
  left: number;
  flip: boolean;
}

/**
 * Shrinks a square HWC RGB image by an integer factor with a box filter (exact averages). Used for presets whose
 * image size is smaller than the 256 of the cache; being linear, it commutes with taking the mean image.
 */
export function downscale(src: ArrayLike<number>, size: number, factor: number, out?: Float32Array): Float32Array {
  if (!Number.isInteger(factor) || factor < 1 || size % factor !== 0) {
    throw new Error(`Cannot shrink a ${size}x${size} image by ${factor}; the factor must be a whole divisor of ${size}.`);
  }
  const side = size / factor;
  const result = out ?? new Float32Array(side * side * 3);
  const norm = 1 / (factor * factor);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = (y * factor + dy) * size;
          for (let dx = 0; dx < factor; dx++) sum += src[(row + x * factor + dx) * 3 + c]!;
        }
        result[(y * side + x) * 3 + c] = sum * norm;
      }
    }
  }
  return result;
}

/** One training image's draw (section 4.1): its crop and reflection, and its colour shift in 0..255 units. */
export interface CropDraw {
  crop: CropSpec;
  shift: readonly [number, number, number];
}

export interface InputTransform {
  /** Side of the square source images (after any downscale). */
  size: number;
  /** Side of the crops. */
  crop: number;
  /** Mean image at `size`, 0..255, HWC (subtracted pixel by pixel, section 2). */
  mean: Float32Array;
  /** Multiplies (pixel - mean + shift): 1 for raw 0..255 values, 1/255 for 0..1. */
  scale: number;
}

/**
 * Writes one crop of `image` (HWC, size x size x 3) into `out` at `offset`: (pixel - mean(same place) + shift) * scale,
 * reflected horizontally when asked. The mean is cropped at the same place before reflection, as subtracting
 * the mean from the full image first would do.
 */
export function writeCrop(
  image: ArrayLike<number>,
  spec: CropSpec,
  transform: InputTransform,
  shift: readonly [number, number, number],
  out: Float32Array,
  offset: number,
): void {
  const { size, crop, mean, scale } = transform;
  if (spec.top < 0 || spec.left < 0 || spec.top + crop > size || spec.left + crop > size) {
    throw new Error(`Crop at (${spec.top}, ${spec.left}) of side ${crop} does not fit a ${size}x${size} image.`);
  }
  for (let y = 0; y < crop; y++) {
    const srcRow = (spec.top + y) * size + spec.left;
    const dstRow = offset + y * crop * 3;
    for (let x = 0; x < crop; x++) {
      const src = (srcRow + x) * 3;
      const dst = dstRow + (spec.flip ? crop - 1 - x : x) * 3;
      out[dst] = (image[src]! - mean[src]! + shift[0]) * scale;
      out[dst + 1] = (image[src + 1]! - mean[src + 1]! + shift[1]) * scale;
      out[dst + 2] = (image[src + 2]! - mean[src + 2]! + shift[2]) * scale;
    }
  }
}

export const NO_SHIFT: readonly [number, number, number] = [0, 0, 0];
