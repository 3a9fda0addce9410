// Checks softmax, cross-entropy, top-k and the top-1/top-5 error rates against brute-force float64 references.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { crossEntropy, errorRates, softmax, topK } from './metrics';

/** Random [rows, classes] scores; with `levels`, drawn from that many values so that ties are common. */
function randomScores(rng: Rng, rows: number, classes: number, levels?: number): Float32Array {
  return Float32Array.from({ length: rows * classes }, () => (levels ? rng.integer(levels) / levels : rng.normal(0, 4)));
}

/** A row's classes by a plain stable sort: higher score first, and (the sort being stable) the lower label on a tie. */
function sortedLabels(scores: ArrayLike<number>, row: number, classes: number): number[] {
  return Array.from({ length: classes }, (_, c) => c).sort((a, b) => scores[row * classes + b]! - scores[row * classes + a]!);
}

describe('softmax', () => {
  it('equals 1 / sum_j exp(z_j - z_c) in float64, row by row, even for logits near 1000', () => {
    const rng = new Rng(1, 'softmax');
    const classes = 9;
    const rows = 40;
    const logits = randomScores(rng, rows, classes);
    for (let i = 0; i < classes; i++) logits[i] = 1000 + i; // exp(1000) overflows a naive implementation
    const p = softmax(logits, classes);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < classes; c++) {
        let sum = 0;
        for (let j = 0; j < classes; j++) sum += Math.exp(logits[r * classes + j]! - logits[r * classes + c]!);
        expect(p[r * classes + c]).toBeCloseTo(1 / sum, 7);
      }
    }
    expect(Array.from(softmax([1000, 1000], 2))).toEqual([0.5, 0.5]);
    expect(Array.from(softmax([-1000, 0, -1000], 3))[1]).toBe(1);
  });

  it('refuses scores that are not whole rows', () => {
    expect(() => softmax([1, 2, 3], 2)).toThrow(/3 values.*rows of 2 classes/);
    expect(() => softmax([1, 2], 0)).toThrow(/Class count 0/);
  });
});

describe('cross-entropy', () => {
  it('is the mean of log sum_j exp(z_j - z_label) (the negative log-likelihood), without overflow', () => {
    const rng = new Rng(2, 'cross-entropy');
    const classes = 6;
    const rows = 30;
    const logits = randomScores(rng, rows, classes);
    for (let i = 0; i < classes; i++) logits[5 * classes + i] = logits[5 * classes + i]! + 900;
    const labels = Int32Array.from({ length: rows }, () => rng.integer(classes));
    let want = 0;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += Math.exp(logits[r * classes + j]! - logits[r * classes + labels[r]!]!);
      want += Math.log(sum);
    }
    expect(crossEntropy(logits, classes, labels)).toBeCloseTo(want / rows, 10);
    // -log softmax(1000, 0)[1] = 1000 + log(1 + e^-1000) = 1000.
    expect(crossEntropy([1000, 0], 2, [1])).toBeCloseTo(1000, 10);
    expect(crossEntropy([0, 0, 0, 0], 4, [3])).toBeCloseTo(Math.log(4), 12);
  });

  it('refuses labels that do not match the rows', () => {
    expect(() => crossEntropy([0, 1, 2, 3], 2, [0])).toThrow(/1 labels for 2 rows/);
    expect(() => crossEntropy([0, 1], 2, [2])).toThrow(/Label 2 of row 0 is outside 0..1/);
    expect(() => crossEntropy([0, 1], 2, [0.5])).toThrow(/Label 0.5/);
    expect(() => crossEntropy([0, 1, 2], 2, [0])).toThrow('Logits has 3 values, which is not a whole number of rows of 2 classes.');
    expect(() => crossEntropy([0, 1], 2, [-1])).toThrow(/Label -1 of row 0/);
    expect(() => errorRates([0, 1], 2, [2])).toThrow(/Label 2 of row 0 is outside 0..1/);
    expect(() => errorRates([0, 1, 2], 2, [0])).toThrow('Scores has 3 values');
    expect(() => topK([0, 1, 2], 2, 1)).toThrow('Scores has 3 values');
  });
});

describe('topK', () => {
  it('equals a stable full sort of each row, ties included, for every k', () => {
    const rng = new Rng(3, 'top-k');
    for (const [classes, levels] of [[10, undefined], [10, 3], [4, 2], [1, undefined]] as const) {
      const rows = 25;
      const scores = randomScores(rng, rows, classes, levels);
      for (const k of [1, 3, 5, classes, classes + 4]) {
        const found = topK(scores, classes, k);
        expect(found).toHaveLength(rows);
        for (let r = 0; r < rows; r++) {
          const want = sortedLabels(scores, r, classes).slice(0, k).map((label) => ({ label, probability: scores[r * classes + label]! }));
          expect(found[r]).toEqual(want);
        }
      }
    }
  });

  it('breaks ties by the lower label and ranks NaN last', () => {
    expect(topK([0.2, 0.4, 0.4, 0.0], 4, 3)[0]!.map((t) => t.label)).toEqual([1, 2, 0]);
    expect(topK([NaN, 1, NaN, 0], 4, 4)[0]!.map((t) => t.label)).toEqual([1, 3, 0, 2]);
    // Rising scores put each new class first: the insertion reaches the front and stops there.
    expect(topK([1, 2, 3, 4], 4, 4)[0]!.map((t) => t.label)).toEqual([3, 2, 1, 0]);
    expect(topK([NaN, NaN, NaN], 3, 3)[0]!.map((t) => t.label)).toEqual([0, 1, 2]);
    expect(topK([NaN, 5, NaN], 3, 2)[0]!.map((t) => t.label)).toEqual([1, 0]);
    // errorRates ranks NaN scores the same way: among NaNs the lower label first, and a class never ahead of itself.
    expect(errorRates([NaN, NaN], 2, [1]).top1Error).toBe(1);
    expect(errorRates([NaN, NaN], 2, [0]).top1Error).toBe(0);
    expect(errorRates([NaN, NaN, 0], 3, [0]).top1Error).toBe(1); // a number before every NaN
  });

  it('refuses k below 1', () => {
    expect(() => topK([1, 2], 2, 0)).toThrow(/k 0 is not allowed/);
  });
});

describe('error rates (section 6)', () => {
  it('agree with ranking each row by a full sort, with ties and fewer than 5 classes', () => {
    const rng = new Rng(4, 'error-rates');
    for (const [classes, levels] of [[12, undefined], [12, 4], [7, 2], [3, 2], [1, undefined]] as const) {
      const rows = 200;
      const scores = randomScores(rng, rows, classes, levels);
      const labels = Array.from({ length: rows }, () => rng.integer(classes));
      let wrong1 = 0;
      let wrong5 = 0;
      for (let r = 0; r < rows; r++) {
        const order = sortedLabels(scores, r, classes);
        if (order[0] !== labels[r]) wrong1++;
        if (!order.slice(0, 5).includes(labels[r]!)) wrong5++;
      }
      const rates = errorRates(scores, classes, labels);
      expect(rates.count).toBe(rows);
      expect(rates.top1Error).toBe(wrong1 / rows);
      expect(rates.top5Error).toBe(wrong5 / rows);
      if (classes <= 5) expect(rates.top5Error).toBe(0);
    }
  });

  it('counts a tie against a label that topK ranks after it', () => {
    expect(errorRates([1, 1, 1], 3, [2]).top1Error).toBe(1);
    expect(errorRates([1, 1, 1], 3, [0]).top1Error).toBe(0);
    // Six classes tied: the label with index 5 is sixth, outside the top 5.
    expect(errorRates([1, 1, 1, 1, 1, 1], 6, [5]).top5Error).toBe(1);
    expect(errorRates([1, 1, 1, 1, 1, 1], 6, [4]).top5Error).toBe(0);
  });

  it('is NaN with no rows, and refuses a label per row missing', () => {
    expect(errorRates([], 3, [])).toEqual({ top1Error: NaN, top5Error: NaN, count: 0 });
    expect(() => errorRates([1, 2, 3], 3, [0, 1])).toThrow(/2 labels for 1 rows/);
  });
});
