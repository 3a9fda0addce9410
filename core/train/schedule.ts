// The learning-rate schedule of section 5: divide by 10 when the validation error stops improving, or by hand.
import type { LearningRateChange } from '../api/contract';

export type { LearningRateChange };

export interface ScheduleState {
  learningRate: number;
  /** Best validation top-1 error so far, and the epoch it was reached. */
  bestError: number | null;
  bestEpoch: number | null;
  /** Epochs since the best error (or since the last drop). */
  epochsWithoutImprovement: number;
  /** Epochs (1-based, the one just finished) at which the rate was divided, and why. */
  drops: { epoch: number; learningRate: number; reason: 'plateau' | 'manual' }[];
}

/** The change of a 'learning-rate' event (or of anything that carries one), field by field. */
export function learningRateChange(c: LearningRateChange): LearningRateChange {
  return { step: c.step, epoch: c.epoch, previousLearningRate: c.previousLearningRate, learningRate: c.learningRate, reason: c.reason };
}

/** The one sentence for a change, in the run log's notices, the CLI and the UI alike. */
export function describeLearningRateChange(change: LearningRateChange): string {
  const why = change.reason === 'plateau' ? 'the validation error stopped improving' : 'by hand';
  return `Learning rate divided by 10, from ${change.previousLearningRate} to ${change.learningRate}, after step ${change.step} (epoch ${Number(change.epoch.toFixed(2))}): ${why}.`;
}

/** An improvement smaller than this (absolute top-1 error) does not count: noise on a small test split. */
const MIN_IMPROVEMENT = 1e-4;

export class PlateauSchedule {
  private s: ScheduleState;

  constructor(
    learningRate: number,
    private readonly patience: number,
    private readonly minimum: number,
    state?: ScheduleState,
  ) {
    this.s = state
      ? structuredClone(state)
      : { learningRate, bestError: null, bestEpoch: null, epochsWithoutImprovement: 0, drops: [] };
  }

  get learningRate(): number {
    return this.s.learningRate;
  }

  state(): ScheduleState {
    return structuredClone(this.s);
  }

  /** Call after each epoch with its validation top-1 error. Returns true when the rate was divided. */
  observe(epoch: number, validationError: number): boolean {
    if (this.s.bestError === null || validationError < this.s.bestError - MIN_IMPROVEMENT) {
      this.s.bestError = validationError;
      this.s.bestEpoch = epoch;
      this.s.epochsWithoutImprovement = 0;
      return false;
    }
    this.s.epochsWithoutImprovement++;
    if (this.s.epochsWithoutImprovement >= this.patience && this.s.learningRate / 10 >= this.minimum) {
      this.divide(epoch, 'plateau');
      return true;
    }
    return false;
  }

  /** Divides the rate by 10 now (the user's button or flag). */
  divide(epoch: number, reason: 'plateau' | 'manual' = 'manual'): void {
    this.s.learningRate /= 10;
    this.s.epochsWithoutImprovement = 0;
    this.s.drops.push({ epoch, learningRate: this.s.learningRate, reason });
  }
}
