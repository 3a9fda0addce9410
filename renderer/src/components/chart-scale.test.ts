// Checks the chart arithmetic: log scales and their ticks, and TensorBoard's debiased smoothing.
import { describe, expect, it } from 'vitest';
import { logarithmic, logTicks, smooth } from './chart-scale';

describe('log axis', () => {
  it('maps decades evenly and refuses values at or below 0', () => {
    const y = logarithmic([0.01, 10], [300, 0]);
    expect([y(0.01), y(0.1), y(1), y(10)]).toEqual([300, 200, 100, 0]);
    expect(y(0)).toBeNaN();
    expect(y(-1)).toBeNaN();
  });

  it('ticks at 1, 2 and 5 times the powers of ten inside, the decades alone over many, round values within a decade', () => {
    expect(logTicks(0.3, 4)).toEqual([0.5, 1, 2]);
    expect(logTicks(1e-4, 10)).toEqual([1e-4, 1e-3, 1e-2, 0.1, 1, 10]);
    expect(logTicks(0.8, 2.5)).toEqual([1, 1.5, 2, 2.5]);
    expect(logTicks(1.46, 2.64)).toEqual([1.5, 2, 2.5]);
  });
});

describe('smooth', () => {
  it('is the debiased exponential moving average, as a loop over the points computes it', () => {
    const ys = [2, 1, 4, 3, 3, 0.5];
    const points = ys.map((y, x) => ({ x, y }));
    const weight = 0.6;
    let average = 0;
    const want = ys.map((y, i) => {
      average = weight * average + (1 - weight) * y;
      return average / (1 - weight ** (i + 1));
    });
    smooth(points, weight).forEach((p, i) => {
      expect(p.x).toBe(i);
      expect(p.y).toBeCloseTo(want[i]!, 12);
    });
    // The first point is itself, not pulled towards 0.
    expect(smooth(points, 0.9)[0]!.y).toBeCloseTo(2, 12);
  });

  it('leaves points alone at weight 0, and passes a NaN through without it entering the average', () => {
    const points = [{ x: 0, y: 1 }, { x: 1, y: Number.NaN }, { x: 2, y: 3 }];
    expect(smooth(points, 0)).toEqual(points);
    const smoothed = smooth(points, 0.5);
    expect(smoothed[1]!.y).toBeNaN();
    expect(smoothed[2]!.y).toBeCloseTo((0.5 * 0.5 * 1 + 0.5 * 3) / (1 - 0.25), 12);
  });
});
