// Checks the Runs view's reading of a run: its main settings in words, its best epoch, its metrics as CSV.
import { describe, expect, it } from 'vitest';
import type { EpochPoint } from '../../../../core/api/contract';
import { bestEpoch, epochCsv, mainSettings } from './run-facts';

const epoch = (n: number, validationTop1Error: number | null): EpochPoint => ({
  epoch: n,
  trainLoss: 2 - n / 10,
  trainTop1Error: 0.5,
  trainTop5Error: 0.1,
  validationLoss: validationTop1Error === null ? null : 1.5,
  validationTop1Error,
  validationTop5Error: null,
  learningRate: 0.01,
  seconds: 3.5,
});

describe('run facts', () => {
  it('names the main settings, and the ablations switched on', () => {
    const settings = { 'model.preset': 'quick', 'recipe.name': 'paper', 'recipe.optimizer.name': 'sgd', 'recipe.learningRate': 0.01, 'ablations.noLrn': true, 'ablations.oneTower': false, seed: 3, codeVersion: '0.1.0+abc' };
    const facts = mainSettings(settings);
    expect(facts.map((f) => `${f.label}=${f.value}`)).toEqual(['Preset=quick', 'Recipe=paper', 'Optimiser=sgd', 'Learning rate=0.01', 'Ablations=no LRN', 'Seed=3', 'Code version=0.1.0+abc']);
    expect(mainSettings({ seed: 1 }).find((f) => f.label === 'Ablations')!.value).toBe('none');
  });

  it('finds the epoch of the lowest validation error, the first of equals, none before one was measured', () => {
    expect(bestEpoch([epoch(1, 0.6), epoch(2, 0.4), epoch(3, 0.4), epoch(4, 0.5)])!.epoch).toBe(2);
    expect(bestEpoch([epoch(1, null)])).toBeNull();
    expect(bestEpoch([epoch(1, null), epoch(2, 0.9)])!.epoch).toBe(2);
  });

  it('writes one CSV row per epoch under a header, missing values empty', () => {
    expect(epochCsv([epoch(1, null), epoch(2, 0.25)]).split('\n')).toEqual([
      'epoch,trainLoss,trainTop1Error,trainTop5Error,validationLoss,validationTop1Error,validationTop5Error,learningRate,seconds',
      '1,1.9,0.5,0.1,,,,0.01,3.5',
      '2,1.8,0.5,0.1,1.5,0.25,,0.01,3.5',
      '',
    ]);
  });
});
