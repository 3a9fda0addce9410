// Training top-1 and top-5 hits, against a brute force that sorts each row (ties go to the lower class index).
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { countCorrect } from './trainer';

/** Rank of the label in its row: classes sorted by falling logit, equal logits by rising index. */
function rank(row: Float32Array, label: number): number {
  const order = Array.from(row, (value, c) => ({ value, c })).sort((a, b) => b.value - a.value || a.c - b.c);
  return order.findIndex((entry) => entry.c === label);
}

describe('countCorrect', () => {
  it('counts a label ranked 5th as a top-5 hit and one ranked 6th as a miss', () => {
    const classes = 10;
    // Logits 9, 8, ..., 0 for classes 0..9: class c is ranked c (0-based).
    const logits = Float32Array.from({ length: 4 * classes }, (_, i) => classes - 1 - (i % classes));
    const labels = Int32Array.from([0, 4, 5, 1]);
    expect(countCorrect(logits, classes, labels)).toEqual({ correct1: 1, correct5: 3 });
  });

  it('agrees with sorting each row, ties included, for many random batches', () => {
    const rng = new Rng(5);
    for (const classes of [2, 3, 5, 6, 10, 37]) {
      const batch = 64;
      // Few distinct values, so that ties are common.
      const logits = Float32Array.from({ length: batch * classes }, () => Math.floor(rng.uniform() * 4));
      const labels = Int32Array.from({ length: batch }, () => rng.integer(classes));
      let top1 = 0;
      let top5 = 0;
      for (let i = 0; i < batch; i++) {
        const r = rank(logits.subarray(i * classes, (i + 1) * classes), labels[i]!);
        if (r === 0) top1++;
        if (r < 5) top5++;
      }
      expect(countCorrect(logits, classes, labels), `${classes} classes`).toEqual({ correct1: top1, correct5: top5 });
    }
  });
});
