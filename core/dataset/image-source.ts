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
  private readonly records = new Map<number, Uint8Array>();
  private readonly keepRecords: boolean;
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
    this.keepRecords = dataset.manifest.images.length * CACHE_IMAGE_SIZE * CACHE_IMAGE_SIZE * 3 <= MEMORY_BUDGET_BYTES;
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

  /** One record as the cache holds it: 256x256x3 uint8, whatever the model's size (checked as image() checks it). */
  record(record: number): Uint8Array {
    if (this.factor === 1) return this.image(record) as Uint8Array;
    const kept = this.records.get(record);
    if (kept) return kept;
    const raw = this.dataset.readRecord(record);
    if (this.keepRecords) this.records.set(record, raw);
    return raw;
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
