// Stores the fc7 features (section 6.1: the last hidden layer, after ReLU) of every training image with a run.
import path from 'node:path';
import type { Dataset } from '../dataset/dataset';
import { evaluate } from '../evaluate/evaluate';
import { writeFeatureStore } from '../inspect/feature-store';
import type { AlexNet } from '../model/alexnet';
import { ImageSource } from '../dataset/image-source';

export const FEATURES_FILE = 'features.bin';

/** Runs every training image's centre crop through the network and writes its fc7 vector to the run's folder. */
export async function storeTrainingFeatures(model: AlexNet, dataset: Dataset, runDir: string, inputScale: number): Promise<string> {
  const config = model.config;
  const source = new ImageSource(dataset, config.imageSize);
  const entries = dataset.entries('train');
  const dimension = config.fcWidths[1];
  const all = new Float32Array(entries.length * dimension);
  const { damaged } = await evaluate(
    model,
    source,
    entries,
    { size: config.imageSize, crop: config.cropSize, mean: source.mean(), scale: inputScale },
    { onFeatures: (first, batch) => all.set(batch, first * dimension) },
  );
  // Records are positions in the dataset's training entries, whose order the manifest fixes; images damaged in the
  // cache have no features (they would be the mean image's).
  const left = new Set(damaged);
  const records = entries.map((_, i) => i).filter((i) => !left.has(i));
  const features = left.size === 0 ? all : new Float32Array(records.length * dimension);
  if (left.size > 0) records.forEach((r, j) => features.set(all.subarray(r * dimension, (r + 1) * dimension), j * dimension));
  const file = path.join(runDir, FEATURES_FILE);
  writeFeatureStore(file, { dimension, records, features });
  return file;
}
