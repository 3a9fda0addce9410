// The paper's test-time augmentation (section 4.1): the centre crop, the four corner crops, and their reflections.

/** Where one crop of a square image starts, and whether it is reflected left to right. */
export interface CropOffset {
  top: number;
  left: number;
  flip: boolean;
}

function checkSizes(size: number, crop: number): void {
  if (!Number.isInteger(size) || size < 1) throw new Error(`Image side ${size} is not allowed; use a whole number of pixels, at least 1.`);
  if (!Number.isInteger(crop) || crop < 1 || crop > size) throw new Error(`Crop ${crop} is not allowed for an image side of ${size}; use 1 to ${size}.`);
}

/** Offset of the centre crop on both axes: floor((size - crop) / 2), e.g. 14 for 227 from 256. */
export function centreCropOffset(size: number, crop: number): number {
  checkSizes(size, crop);
  return Math.floor((size - crop) / 2);
}

/**
 * The ten crops of section 4.1 ("the four corner patches and the center patch as well as their horizontal
 * reflections") of a `size` x `size` image: centre, top-left, top-right, bottom-left, bottom-right, then the same
 * five reflected. The model's evaluation and averageTenCrop rely on this order.
 */
export function tenCropOffsets(size: number, crop: number): CropOffset[] {
  const centre = centreCropOffset(size, crop);
  const far = size - crop;
  const five: [number, number][] = [
    [centre, centre],
    [0, 0],
    [0, far],
    [far, 0],
    [far, far],
  ];
  return [false, true].flatMap((flip) => five.map(([top, left]) => ({ top, left, flip })));
}

/**
 * The paper's ten-crop prediction: the mean of the softmax outputs of each image's ten crops.
 * `probabilities` is [images * 10, classes] with the ten crops of an image in consecutive rows; returns
 * [images, classes]. Sums are in float64.
 */
export function averageTenCrop(probabilities: Float32Array, classes: number): Float32Array {
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`Class count ${classes} is not allowed; use a whole number of at least 1.`);
  const rows = probabilities.length / classes;
  if (!Number.isInteger(rows) || rows % 10 !== 0) {
    throw new Error(`${probabilities.length} values is not a whole number of ten-crop groups of ${classes} classes (expected a multiple of ${10 * classes}).`);
  }
  const images = rows / 10;
  const out = new Float32Array(images * classes);
  for (let i = 0; i < images; i++) {
    for (let c = 0; c < classes; c++) {
      let sum = 0;
      for (let k = 0; k < 10; k++) sum += probabilities[(i * 10 + k) * classes + c]!;
      out[i * classes + c] = sum / 10;
    }
  }
  return out;
}

/**
 * One `crop` x `crop` crop of a `size` x `size` HWC RGB uint8 image starting at (top, left), reflected left to right
 * when `flip` is set: out(y, x) = src(top + y, left + (flip ? crop - 1 - x : x)). A plain reference, used by tests and
 * for raw-pixel comparisons; training and evaluation crop on the backend.
 */
export function cropImage(src: Uint8Array, size: number, top: number, left: number, crop: number, flip: boolean): Uint8Array {
  checkSizes(size, crop);
  if (src.length !== size * size * 3) throw new Error(`Image has ${src.length} values; a ${size}x${size} RGB image has ${size * size * 3}.`);
  for (const [name, value] of [['top', top], ['left', left]] as const) {
    if (!Number.isInteger(value) || value < 0 || value + crop > size) {
      throw new Error(`Crop ${name} offset ${value} is not allowed for a ${crop}-pixel crop of a ${size}-pixel image; use 0 to ${size - crop}.`);
    }
  }
  const out = new Uint8Array(crop * crop * 3);
  for (let y = 0; y < crop; y++) {
    const rowStart = ((top + y) * size + left) * 3;
    if (!flip) {
      out.set(src.subarray(rowStart, rowStart + crop * 3), y * crop * 3);
      continue;
    }
    for (let x = 0; x < crop; x++) {
      const from = rowStart + (crop - 1 - x) * 3;
      const to = (y * crop + x) * 3;
      out[to] = src[from]!;
      out[to + 1] = src[from + 1]!;
      out[to + 2] = src[from + 2]!;
    }
  }
  return out;
}
