// The typed event stream of a training run: what a CLI, the desktop UI or the run log listens to.
import type { ModelConfig } from '../model/config';
import type { CheckpointPosition } from './checkpoint';
import type { Recipe } from './recipe';
import type { LearningRateChange } from './schedule';
import type { EpochRecord, NoticeLevel } from '../vocabulary';

export type RunOutcome = 'completed' | 'stopped' | 'diverged' | 'failed';

export type TrainEvent =
  | {
      type: 'started';
      runId: string;
      backend: string;
      device: string;
      config: ModelConfig;
      recipe: Recipe;
      trainImages: number;
      testImages: number;
      stepsPerEpoch: number;
      resumedFrom?: CheckpointPosition;
    }
  | {
      type: 'step';
      epoch: number; // 0-based epoch in progress
      stepInEpoch: number; // 1-based: steps done in this epoch
      stepsPerEpoch: number;
      globalStep: number;
      loss: number;
      learningRate: number;
      imagesPerSecond: number;
      etaSeconds: number;
    }
  | ({
      type: 'epoch';
      // The trainer always measures them (NaN without a test split).
      validationLoss: number;
      validationTop1Error: number;
      validationTop5Error: number;
      learningRateDropped: boolean;
      deadReluFraction: number;
      imagesPerSecond: number;
    } & EpochRecord)
  | ({ type: 'learning-rate' } & LearningRateChange)
  | { type: 'kernels'; epoch: number; globalStep: number; shape: number[]; towers: Float32Array[] }
  | { type: 'checkpoint'; file: string; bytes: number; sha256: string; position: CheckpointPosition }
  | { type: 'notice'; level: NoticeLevel; code: string; message: string }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'finished'; outcome: RunOutcome; message: string; position: CheckpointPosition; bestTop1Error: number | null };

export type TrainListener = (event: TrainEvent) => void;
