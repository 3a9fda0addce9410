// Stores the fc7 features (section 6.1: the last hidden layer, after ReLU) of every training image with a run.
import path from 'node:path';
import type { Dataset } from '../dataset/dataset';
import { evaluate } from '../evaluate/evaluate';
import { writeFeatureStore } from '../inspect/feature-store';
import type { AlexNet } from '../model/alexnet';
import { ImageSource } from '../train/image-source';

export const FEATURES_FILE = 'features.bin';

/** Runs every training image's centre crop through the network and writes its fc7 vector to the run's folder. */
export async function storeTrainingFeatures(model: AlexNet, dataset: Dataset, runDir: string, inputScale: number): Promise<string> {
  const config = model.config;
  const source = new ImageSource(dataset, config.imageSize);
  const entries = dataset.entries('train');
  const dimension = config.fcWidths[1];
  const features = new Float32Array(entries.length * dimension);
  await evaluate(
    model,
    source,
    entries,
    { size: config.imageSize, crop: config.cropSize, mean: source.mean(), scale: inputScale },
    { onFeatures: (first, batch) => features.set(batch, first * dimension) },
  );
  const file = path.join(runDir, FEATURES_FILE);
  // Records are positions in the dataset's training entries, whose order the manifest fixes.
  writeFeatureStore(file, { dimension, records: entries.map((_, i) => i), features });
  return file;
}
