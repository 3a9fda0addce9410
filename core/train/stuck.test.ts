// Checks that a run at chance, with dead ReLUs or an exploding first epoch is recognised, and a learning one is not.
import { describe, expect, it } from 'vitest';
import { diagnose, type EpochHealth } from './stuck';

const chance10 = Math.log(10);
const epoch = (i: number, loss: number, dead = 0.1, dominant = 0.3): EpochHealth => ({
  epoch: i,
  trainLoss: loss,
  validationTop1Error: 0.9,
  deadReluFraction: dead,
  dominantPredictionFraction: dominant,
});

describe('diagnose', () => {
  it('says nothing about a run that learns', () => {
    expect(diagnose([epoch(1, 2.2), epoch(2, 1.9), epoch(3, 1.5)], 10, 'small-data')).toBeUndefined();
  });

  it('recognises a loss stuck at ln(classes) with a constant answer (RECIPES: the paper recipe on small data)', () => {
    const d = diagnose([epoch(1, chance10 + 0.01, 0.5, 1), epoch(2, chance10, 0.5, 1), epoch(3, chance10 - 0.02, 0.5, 1)], 10, 'paper');
    expect(d?.code).toBe('stuck-at-chance');
    expect(d?.message).toMatch(/ln\(10\) = 2\.30/);
    expect(d?.message).toMatch(/--recipe small-data/);
  });

  it('recognises dead ReLUs', () => {
    const d = diagnose([epoch(1, 2.0, 0.95), epoch(2, 2.0, 0.97), epoch(3, 2.0, 1)], 10, 'paper');
    expect(d?.code).toBe('dead-relus');
    expect(d?.message).toMatch(/100 % of fc7's units/);
  });

  it('recognises a first epoch far above chance, but not a noisy one with few classes', () => {
    expect(diagnose([epoch(1, 6.6)], 10, 'paper')?.code).toBe('loss-exploded');
    expect(diagnose([epoch(1, 1.19)], 2, 'small-data')).toBeUndefined();
    expect(diagnose([epoch(1, 1.86)], 6, 'small-data')).toBeUndefined();
  });
});
