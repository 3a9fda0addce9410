// The shapes of an imported dataset: its manifest on disk, its import report and its progress events.
import type { Split } from '../vocabulary';

/** Side of the square images kept in the cache (paper section 2: shorter side to 256, centre crop 256x256). */
export const CACHE_IMAGE_SIZE = 256;
/** Bytes of one cached image: 256 x 256 x 3 channels of uint8, row-major, RGB interleaved. */
export const CACHE_RECORD_BYTES = CACHE_IMAGE_SIZE * CACHE_IMAGE_SIZE * 3;

export type { Split };

/** One imported image. */
export interface ImageEntry {
  /** Path relative to the dataset's source folder, with '/' separators, e.g. 'train/cat/001.jpg'. */
  path: string;
  /** Index into `DatasetManifest.labels`. */
  label: number;
  split: Split;
  /** Index of this image's record in the cache file (record i starts at byte i * CACHE_RECORD_BYTES). */
  record: number;
  /** CRC-32 of the record's bytes, checked on every read (absent in manifests of versions that did not write it). */
  recordCrc32?: number;
  /** SHA-256 of the source file's bytes, hex. */
  sha256: string;
  /** Source file size in bytes and modification time, to find changed files on re-import. */
  size: number;
  mtimeMs: number;
  /** Width and height of the source image after EXIF orientation. */
  width: number;
  height: number;
  /** What was converted when it was decoded (kept so that a re-import reports it too). */
  conversions: string[];
}

export type SkipReason =
  | 'undecodable' // the decoder failed: truncated, not an image, unknown format
  | 'empty-file' // zero bytes
  | 'not-an-image' // a stray file: no image extension (e.g. .txt, .DS_Store, Thumbs.db)
  | 'unreadable' // permissions or I/O error
  | 'outside-class-folder'; // a file directly in the dataset root (or split root), not in a class folder

/** Below this shorter side (in pixels) an image is flagged as small: the cache enlarges it more than twice. */
export const SMALL_IMAGE_SIDE = 128;

/**
 * How the images of a duplicate group are the same: 'files' (every file has the same bytes), 'pixels' (the same
 * 256x256 pixels after decoding, e.g. a 16-bit PNG of a JPEG's pixels), 'near' (near-identical pictures: a re-saved
 * JPEG, a resized copy; core/dataset/duplicates.ts says how near).
 */
export type DuplicateKind = 'files' | 'pixels' | 'near';

/** Images that are the same picture. A group whose images are in more than one class is a label conflict. */
export interface DuplicateGroup {
  kind: DuplicateKind;
  /** Members sorted by path, with their class. */
  images: { path: string; className: string }[];
}

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  /** Human-readable detail, e.g. the decoder's message. */
  detail: string;
}

export interface Conversion {
  path: string;
  /** e.g. "16-bit greyscale; converted to 8-bit sRGB" or "EXIF orientation 6 applied". */
  detail: string;
}

export interface ImportReport {
  /** Source folder, absolute. */
  source: string;
  /** 'folders' when train/ and test/ (or val/) subfolders were found, else 'seeded' with the fraction and seed. */
  split: { kind: 'folders' } | { kind: 'seeded'; testFraction: number; seed: number };
  imported: number;
  /** Images decoded this time (the rest were reused from the cache unchanged). */
  decoded: number;
  reused: number;
  skipped: SkippedFile[];
  conversions: Conversion[];
  /** Class folders with no usable image, left out of the label list. */
  emptyClasses: string[];
  /** Groups of duplicate images (identical files, identical pixels or near-identical pictures), by first path. */
  duplicates: DuplicateGroup[];
  /** Pairs of duplicates of which one is in train and one in test: [trainPath, testPath]. */
  leakage: [string, string][];
  /** Images whose shorter side is below SMALL_IMAGE_SIDE: enlarged more than twice to reach 256, they train blurred. */
  smallImages: { path: string; width: number; height: number }[];
  /** Files left out of the dataset at the user's request (ImportOptions.exclude), by path. */
  excluded: string[];
  /** Images per class and split, in label order. */
  counts: { label: string; train: number; test: number }[];
  seconds: number;
}

/** The colour statistics of the training split, in the 0..255 pixel scale. */
export interface ColourStatistics {
  /** Mean of each channel over all training pixels [R, G, B]. */
  channelMean: [number, number, number];
  /** Covariance of RGB pixel values, row-major 3x3. */
  covariance: number[];
  /** Eigenvalues of the covariance, descending. */
  eigenvalues: [number, number, number];
  /** Eigenvectors as columns of a row-major 3x3 matrix: column j belongs to eigenvalues[j]. */
  eigenvectors: number[];
}

/** manifest.json in a dataset's folder. */
export interface DatasetManifest {
  version: 1;
  id: string;
  name: string;
  source: string;
  createdAt: string;
  updatedAt: string;
  /** Class names in label order, fixed at the first import and extended (never re-sorted) later. */
  labels: string[];
  images: ImageEntry[];
  statistics: ColourStatistics;
  /** The mean image of the training split (256x256x3 float32, 0..255) lives in mean.f32 beside the manifest. */
  meanImageFile: 'mean.f32';
  /** The uint8 records live in images.u8 beside the manifest. */
  cacheFile: 'images.u8';
  report: ImportReport;
}

export interface ImportProgress {
  phase: 'scanning' | 'decoding' | 'statistics' | 'done';
  done: number;
  total: number;
  /** Files per second so far in this phase. */
  rate: number;
  /** Seconds left in this phase, or undefined before a rate is known. */
  etaSeconds: number | undefined;
  /** The file just finished, relative to the source. */
  current?: string;
}

export interface ImportOptions {
  /** Fraction of each class held out for testing when the folder has no train/test split. Default 0.2, range (0, 1). */
  testFraction?: number;
  /** Seed of the stratified split. Default 0. */
  seed?: number;
  /** Name shown in lists; default the folder's name. */
  name?: string;
  /**
   * Files to leave out (paths relative to the source, '/'-separated), e.g. the images of a label conflict. Replaces
   * the list of an earlier import; without it the earlier import's list stays in force.
   */
  exclude?: string[];
  onProgress?: (progress: ImportProgress) => void;
  /** Checked between files; when it returns true the import stops and throws an AbortError. */
  signal?: AbortSignal;
}
