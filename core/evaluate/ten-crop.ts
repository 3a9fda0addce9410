// The paper's test-time augmentation (section 4.1): the four corner crops, the centre crop, and their reflections.

export interface CropOffset {
  top: number;
  left: number;
  flip: boolean;
}

export function centreCropOffset(size: number, crop: number): number {
  if (crop > size) throw new Error(`Crop ${crop} is larger than the image side ${size}.`);
  return Math.floor((size - crop) / 2);
}

/** Centre, top-left, top-right, bottom-left, bottom-right, then the same five reflected. */
export function tenCropOffsets(size: number, crop: number): CropOffset[] {
  const c = centreCropOffset(size, crop);
  const far = size - crop;
  const five = [
    [c, c],
    [0, 0],
    [0, far],
    [far, 0],
    [far, far],
  ] as const;
  return [...five.map(([top, left]) => ({ top, left, flip: false })), ...five.map(([top, left]) => ({ top, left, flip: true }))];
}

/** Averages the softmax outputs of each image's ten consecutive crops: [images * 10, classes] -> [images, classes]. */
export function averageTenCrop(probabilities: Float32Array, classes: number): Float32Array {
  const rows = probabilities.length / classes;
  if (!Number.isInteger(rows / 10)) throw new Error(`${rows} rows of predictions is not a whole number of ten-crop groups.`);
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

/** One crop of an HWC RGB uint8 image, optionally reflected (a reference for tests and raw-pixel comparisons). */
export function cropImage(src: Uint8Array, size: number, top: number, left: number, crop: number, flip: boolean): Uint8Array {
  const out = new Uint8Array(crop * crop * 3);
  for (let y = 0; y < crop; y++) {
    for (let x = 0; x < crop; x++) {
      const sx = left + (flip ? crop - 1 - x : x);
      for (let c = 0; c < 3; c++) out[(y * crop + x) * 3 + c] = src[((top + y) * size + sx) * 3 + c]!;
    }
  }
  return out;
}
