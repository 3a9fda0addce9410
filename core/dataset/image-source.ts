// Serves a dataset's cached images at the model's image size (256 for the paper, smaller for the quick preset).
import { CACHE_IMAGE_SIZE } from './types';
import type { Dataset } from './dataset';
import { downscale } from '../model/input';

/** Images are kept in memory after the first read when all of them fit in this many bytes. */
const MEMORY_BUDGET_BYTES = 768 * 1024 * 1024;

export class ImageSource {
  readonly size: number;
  private readonly factor: number;
  private readonly memory = new Map<number, ArrayLike<number>>();
  private readonly keepInMemory: boolean;
  private meanImage: Float32Array | undefined;

  constructor(
    private readonly dataset: Dataset,
    imageSize: number,
  ) {
    if (CACHE_IMAGE_SIZE % imageSize !== 0) {
      throw new Error(`Image size ${imageSize} is not allowed; use a whole divisor of ${CACHE_IMAGE_SIZE} (256, 128, 64).`);
    }
    this.size = imageSize;
    this.factor = CACHE_IMAGE_SIZE / imageSize;
    const bytesPerImage = imageSize * imageSize * 3 * (this.factor === 1 ? 1 : 4);
    this.keepInMemory = dataset.manifest.images.length * bytesPerImage <= MEMORY_BUDGET_BYTES;
  }

  /** One image, HWC RGB at `size`, values 0..255. */
  image(record: number): ArrayLike<number> {
    const kept = this.memory.get(record);
    if (kept) return kept;
    const raw = this.dataset.readRecord(record);
    const image = this.factor === 1 ? raw : downscale(raw, CACHE_IMAGE_SIZE, this.factor);
    if (this.keepInMemory) this.memory.set(record, image);
    return image;
  }

  /** The training set's mean image at `size` (section 2). */
  mean(): Float32Array {
    if (this.meanImage) return this.meanImage;
    const full = this.dataset.meanImage();
    const mean = this.factor === 1 ? full : downscale(full, CACHE_IMAGE_SIZE, this.factor);
    this.meanImage = mean;
    return mean;
  }
}
