// A training job as the compute side runs it: a start or a resume, described by plain data (no run log, no host
// objects), so the same job runs in-process, in a child process or in the desktop app's compute window.
import { openDataset } from '../dataset/dataset';
import type { ModelConfig } from '../model/config';
import type { TrainEvent, TrainListener } from '../train/events';
import type { Recipe } from '../train/recipe';
import { Trainer, type TrainResult } from '../train/trainer';
import { storeTrainingFeatures } from './features';

interface JobCommon {
  runId: string;
  /** The imported dataset's folder (manifest.json, images.u8, mean.f32). */
  datasetDir: string;
  /** The run's folder (checkpoints/, features.bin). */
  runDir: string;
  /** Stop (resumably) after this many steps in total. */
  maxSteps?: number;
}

export type TrainJob =
  | (JobCommon & { kind: 'start'; config: ModelConfig; recipe: Recipe; seed: number })
  | (JobCommon & { kind: 'resume'; checkpoint: string; epochs?: number });

export interface RunningJob {
  trainer: Trainer;
  /** Resolves when the run ends; after a completed run the fc7 features are stored first. Rejects on a failure. */
  done: Promise<TrainResult>;
}

/** Starts a job: the trainer begins at once and reports through `onEvent`. */
export function launchTraining(job: TrainJob, onEvent: TrainListener): RunningJob {
  const dataset = openDataset(job.datasetDir);
  // A completed run is reported completed only once its features are stored: a crash in between leaves it
  // interrupted, and resuming it stores them (there is nothing left to train).
  let completion: TrainEvent | undefined;
  const forward: TrainListener = (event) => {
    if (event.type === 'finished' && event.outcome === 'completed') completion = event;
    else onEvent(event);
  };
  const common = {
    runId: job.runId,
    dataset,
    runDir: job.runDir,
    onEvent: forward,
    ...(job.maxSteps !== undefined ? { maxSteps: job.maxSteps } : {}),
  };
  let trainer: Trainer;
  try {
    trainer =
      job.kind === 'start'
        ? Trainer.create({ ...common, config: job.config, recipe: job.recipe, seed: job.seed })
        : Trainer.resume({ ...common, checkpoint: job.checkpoint, ...(job.epochs !== undefined ? { epochs: job.epochs } : {}) });
  } catch (error) {
    dataset.close();
    throw error;
  }
  const done = (async () => {
    try {
      const result = await trainer.run();
      if (result.outcome === 'completed') {
        await storeTrainingFeatures(trainer.network, dataset, job.runDir, trainer.inputScale);
        onEvent({ type: 'notice', level: 'info', code: 'features', message: `Stored fc7 features of ${dataset.entries('train').length} training images.` });
        if (completion) onEvent(completion);
      }
      return result;
    } finally {
      trainer.dispose();
      dataset.close();
    }
  })();
  return { trainer, done };
}
