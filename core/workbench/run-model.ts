// Loads a finished or interrupted run for looking inside it: its dataset, its newest checkpoint's weights, its inputs.
import type { Dataset } from '../dataset/dataset';
import { openDataset } from '../dataset/dataset';
import { bufferLimitBytes } from '../backend/backend';
import { AlexNet } from '../model/alexnet';
import { checkBufferLimit } from '../model/buffers';
import type { RunLog, RunRow } from '../runlog/run-log';
import type { InputTransform } from '../train/augment';
import { readCheckpoint } from '../train/checkpoint';
import { ImageSource } from '../train/image-source';
import type { Recipe } from '../train/recipe';
import { newestReadableCheckpoint } from './training';

export interface LoadedRun {
  run: RunRow;
  dataset: Dataset;
  model: AlexNet;
  recipe: Recipe;
  checkpoint: string;
  source: ImageSource;
  transform: InputTransform;
  dispose(): void;
}

export function loadRun(log: RunLog, runId: string): LoadedRun {
  const run = log.getRun(runId);
  if (!run) throw new Error(`Run '${runId}' is not in the run log (see 'alexnet runs').`);
  const checkpoint = newestReadableCheckpoint(log, runId);
  if (!checkpoint) throw new Error(`Run '${runId}' has no checkpoint yet: it must finish at least one epoch.`);
  const datasetRow = log.getDataset(run.datasetId);
  if (!datasetRow) throw new Error(`The dataset '${run.datasetId}' of run '${runId}' is not in the run log.`);
  const dataset = openDataset(datasetRow.dir);
  const contents = readCheckpoint(checkpoint);
  checkBufferLimit(contents.config, 1, bufferLimitBytes());
  const model = new AlexNet(contents.config, contents.weights);
  const source = new ImageSource(dataset, contents.config.imageSize);
  const transform: InputTransform = {
    size: contents.config.imageSize,
    crop: contents.config.cropSize,
    mean: source.mean(),
    scale: contents.recipe.inputScale,
  };
  return {
    run,
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
