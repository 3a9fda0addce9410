// Loads a trained model for looking inside it: a checkpoint's weights with its dataset and the inputs it was trained on.
// It needs no run log (the compute side loads models from files the host names).
import type { Dataset } from '../dataset/dataset';
import { openDataset } from '../dataset/dataset';
import { bufferLimitBytes } from '../backend/backend';
import { AlexNet } from '../model/alexnet';
import { checkBufferLimit } from '../model/buffers';
import type { InputTransform } from '../model/input';
import { readCheckpoint } from '../train/checkpoint';
import { ImageSource } from '../dataset/image-source';
import type { Recipe } from '../train/recipe';

export interface LoadedModel {
  dataset: Dataset;
  model: AlexNet;
  recipe: Recipe;
  checkpoint: string;
  source: ImageSource;
  transform: InputTransform;
  dispose(): void;
}

/** A checkpoint's model over its dataset; needs no run log, so it also runs on the compute side. */
export function loadModel(checkpoint: string, datasetDir: string): LoadedModel {
  const contents = readCheckpoint(checkpoint);
  checkBufferLimit(contents.config, 1, bufferLimitBytes());
  const dataset = openDataset(datasetDir);
  if (dataset.labels.length !== contents.config.classes) {
    dataset.close();
    throw new Error(`Checkpoint '${checkpoint}' has ${contents.config.classes} classes but dataset '${dataset.manifest.name}' now has ${dataset.labels.length}.`);
  }
  const model = new AlexNet(contents.config, contents.weights);
  const source = new ImageSource(dataset, contents.config.imageSize);
  const transform: InputTransform = {
    size: contents.config.imageSize,
    crop: contents.config.cropSize,
    mean: source.mean(),
    scale: contents.recipe.inputScale,
  };
  return {
    dataset,
    model,
    recipe: contents.recipe,
    checkpoint,
    source,
    transform,
    dispose() {
      model.dispose();
      dataset.close();
    },
  };
}
