// The learning-rate markers of the charts: each where its change took effect, in the run log's words, and the run
// log's list and the live events' merged without doubles.
import { describe, expect, it } from 'vitest';
import type { LearningRateChange } from '../../../../core/api/contract';
import { describeLearningRateChange } from '../../../../core/train/schedule';
import { dropLabel, mergeChanges, runCurves } from './run-curves';

const byHand: LearningRateChange = { step: 13, epoch: 13 / 6, previousLearningRate: 0.001, learningRate: 0.0001, reason: 'manual' };
const plateau: LearningRateChange = { step: 24, epoch: 4, previousLearningRate: 0.0001, learningRate: 0.00001, reason: 'plateau' };

describe('learning-rate markers', () => {
  it('sit at the epoch position of the step each change took effect after, one per change', () => {
    const { markers } = runCurves({ epochs: [], steps: [], stepsPerEpoch: 6, drops: [byHand, plateau] });
    expect(markers.map((m) => m.x)).toEqual([13 / 6, 4]);
  });

  it('say what the run log says, word for word', () => {
    for (const change of [byHand, plateau]) expect(dropLabel(change)).toBe(describeLearningRateChange(change));
    expect(dropLabel(byHand)).toBe('Learning rate divided by 10, from 0.001 to 0.0001, after step 13 (epoch 2.17): by hand.');
  });

  it('merge the run log and the events: each change once, in the order they took effect', () => {
    const again = { ...byHand };
    expect(mergeChanges([plateau, byHand], [again])).toEqual([byHand, plateau]);
    // Two divisions at the same step (by hand, then the plateau rule) are two changes, the larger rate first.
    const both = { ...plateau, step: 13, epoch: 13 / 6, previousLearningRate: 0.0001 };
    expect(mergeChanges([both], [byHand])).toEqual([byHand, both]);
  });
});
