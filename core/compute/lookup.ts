// Look-up (section 6.1, Figure 4): top-5 predictions for any image, and its nearest training images by fc7 and by pixels.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DamagedRecordError } from '../dataset/damaged-record';
import { CACHE_IMAGE_SIZE } from '../dataset/types';
import { evaluationCrops, predictImages, type CropMode } from '../evaluate/evaluate';
import { topK } from '../evaluate/metrics';
import { averageTenCrop } from '../evaluate/ten-crop';
import { readFeatureStore, type FeatureStore } from '../inspect/feature-store';
import { rawPixelNeighbours, searchNeighbours } from '../inspect/neighbours';
import { downscale } from '../model/input';
import { FEATURES_FILE } from './features';
import type { LoadedModel } from './run-model';
import type { Prediction } from '../vocabulary';

/**
 * The feature store last read, kept while its file is unchanged: reading and checking one of 100,000 images (1.6 GB)
 * takes seconds, the search a fraction of one. A store is replaced by a rename, which changes the file's identity.
 */
let lastStore: { file: string; identity: string; store: FeatureStore } | undefined;

function storeFor(file: string): FeatureStore {
  const stat = fs.statSync(file);
  const identity = `${stat.ino}/${stat.size}/${stat.mtimeMs}`;
  if (lastStore?.file !== file || lastStore.identity !== identity) lastStore = { file, identity, store: readFeatureStore(file) };
  return lastStore.store;
}

export type { Prediction };

export interface Neighbour {
  /** Position of the training image among the dataset's training entries (manifest order). */
  index: number;
  /** Path of the training image, relative to the dataset's source folder. */
  path: string;
  label: string;
  distance: number;
}

/** A query: an image file (decoded and preprocessed exactly as at import) or an image of the dataset. */
export type Query = { file: string } | { split: 'train' | 'test'; index: number };

/** The features file of a run folder. */
export function featuresFile(runDir: string): string {
  return path.join(runDir, FEATURES_FILE);
}

/** One image of the dataset, 256x256x3 uint8, by split and position. */
export function datasetPixels(loaded: Pick<LoadedModel, 'dataset'>, split: 'train' | 'test', index: number): Uint8Array {
  const entries = loaded.dataset.entries(split);
  const entry = entries[index];
  if (!entry) throw new Error(`The ${split} split has ${entries.length} images; index ${index} is out of range.`);
  return loaded.dataset.readRecord(entry.record);
}

function atModelSize(loaded: LoadedModel, pixels: Uint8Array): ArrayLike<number> {
  const factor = CACHE_IMAGE_SIZE / loaded.model.config.imageSize;
  return factor === 1 ? pixels : downscale(pixels, CACHE_IMAGE_SIZE, factor);
}

/** Top-k predictions with probabilities, from the centre crop or the average of ten crops. */
export async function predict(loaded: LoadedModel, pixels: Uint8Array, crops: CropMode = 'centre', k = 5): Promise<Prediction[]> {
  const { transform, model } = loaded;
  const specs = evaluationCrops(crops, transform.size, transform.crop);
  const classes = model.config.classes;
  const probabilities = await predictImages(model, [atModelSize(loaded, pixels)], transform, specs, 16);
  const averaged = crops === 'ten' ? averageTenCrop(probabilities, classes) : probabilities;
  return topK(averaged, classes, Math.min(k, classes))[0]!.map((p) => ({
    label: loaded.dataset.labels[p.label]!,
    labelIndex: p.label,
    probability: p.probability,
  }));
}

/** fc7 of one image's centre crop. */
export async function features(loaded: LoadedModel, pixels: Uint8Array): Promise<Float32Array> {
  const { transform, model } = loaded;
  let out: Float32Array | undefined;
  await predictImages(model, [atModelSize(loaded, pixels)], transform, evaluationCrops('centre', transform.size, transform.crop), 1, (_, f) => {
    out = f;
  });
  return out!;
}

/** A training image's neighbour entry from its position among the training entries. */
function describeNeighbour(loaded: LoadedModel, n: { index: number; distance: number }): Neighbour {
  const entry = loaded.dataset.entries('train')[n.index]!;
  return { index: n.index, path: entry.path, label: loaded.dataset.labels[entry.label]!, distance: n.distance };
}

/**
 * The k nearest training images by raw pixel distance over the 256x256 images: Figure 4's contrast, which needs no
 * stored features. `self`, the query's own position when it is a training image, is left out.
 */
export function pixelNeighbours(loaded: LoadedModel, pixels: Uint8Array, k = 6, self = -1): Neighbour[] {
  const train = loaded.dataset.entries('train');
  const pixelsOf = (i: number) => {
    try {
      return loaded.dataset.readRecord(train[i]!.record);
    } catch (error) {
      if (error instanceof DamagedRecordError) return undefined; // left out, as in training
      throw error;
    }
  };
  return rawPixelNeighbours(pixels, pixelsOf, train.length, k + (self >= 0 ? 1 : 0))
    .filter((n) => n.index !== self)
    .slice(0, k)
    .map((n) => describeNeighbour(loaded, n));
}

/**
 * The k nearest training images by Euclidean distance of fc7 features (exact: candidates from the GPU, re-ranked in
 * float64), and for contrast the k nearest by raw pixel distance over the 256x256 images (the paper's point: these
 * differ). `self`, the query's own position when it is a training image, is left out of its neighbours.
 */
export async function neighbours(
  loaded: LoadedModel,
  featuresPath: string,
  pixels: Uint8Array,
  k = 6,
  self = -1,
): Promise<{ byFeatures: Neighbour[]; byPixels: Neighbour[] }> {
  if (!fs.existsSync(featuresPath)) throw new Error(`The run has no stored features ('${featuresPath}'); they are stored when training completes, or with 'alexnet features'.`);
  const store = storeFor(featuresPath);
  const train = loaded.dataset.entries('train');
  // Each row belongs to the training image at position records[row] (images damaged in the cache have no row).
  if (store.records.some((r) => r >= train.length) || store.records.length > train.length) {
    throw new Error(`The stored features cover ${store.records.length} images but the dataset now has ${train.length} training images; recompute them ('alexnet features').`);
  }
  const q = await features(loaded, pixels);
  const exclude = (_: number, row: number) => store.records[row] === self;
  const byFeatureIndex = (await searchNeighbours(tf, q, store.features, store.dimension, k, { exclude }))[0]!.map((n) => ({ ...n, index: store.records[n.index]! }));
  return { byFeatures: byFeatureIndex.map((n) => describeNeighbour(loaded, n)), byPixels: pixelNeighbours(loaded, pixels, k, self) };
}
