// Checks the plateau rule of section 5 (divide by 10 when the validation error stops improving) and manual drops.
import { describe, expect, it } from 'vitest';
import { PlateauSchedule } from './schedule';

describe('PlateauSchedule', () => {
  it('divides by 10 after `patience` epochs without a better error, then waits again', () => {
    const s = new PlateauSchedule(0.01, 2, 1e-6);
    const errors = [0.9, 0.8, 0.8, 0.81, 0.7, 0.7, 0.7, 0.69];
    const drops = errors.map((e, i) => s.observe(i + 1, e));
    expect(drops).toEqual([false, false, false, true, false, false, true, false]);
    expect(s.learningRate).toBeCloseTo(0.0001, 12);
    expect(s.state().drops.map((d) => d.epoch)).toEqual([4, 7]);
  });

  it('never goes below the minimum', () => {
    const s = new PlateauSchedule(1e-5, 1, 1e-6);
    for (let e = 1; e < 10; e++) s.observe(e, 0.5);
    expect(s.learningRate).toBeCloseTo(1e-6, 15);
  });

  it('divides by hand and records why; state restores', () => {
    const s = new PlateauSchedule(0.01, 3, 1e-6);
    s.observe(1, 0.5);
    s.divide(1);
    const restored = new PlateauSchedule(0.01, 3, 1e-6, s.state());
    expect(restored.learningRate).toBeCloseTo(0.001, 12);
    expect(restored.state().drops).toEqual([{ epoch: 1, learningRate: 0.001, reason: 'manual' }]);
    expect(restored.state().bestError).toBe(0.5);
  });
});
