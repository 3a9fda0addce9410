// Checks precision, recall and row shares on a matrix worked by hand.
import { describe, expect, it } from 'vitest';
import { precisions, recalls, rowShares } from './confusion-stats';

// 3 classes: cats (8 test images: 6 right, 2 called dogs), dogs (4: 1 called cats, 3 right), owls (none).
// Predicted cats 7 times (6 right), dogs 5 times (3 right), owls never.
const MATRIX = [
  [6, 2, 0],
  [1, 3, 0],
  [0, 0, 0],
];

describe('confusion statistics', () => {
  it('recall is the diagonal over the row, precision the diagonal over the column, null where nothing is counted', () => {
    expect(recalls(MATRIX)).toEqual([6 / 8, 3 / 4, null]);
    expect(precisions(MATRIX)).toEqual([6 / 7, 3 / 5, null]);
  });

  it('tells a matrix from its transpose (precision and recall swap)', () => {
    const transposed = MATRIX.map((row, i) => row.map((_, j) => MATRIX[j]![i]!));
    expect(precisions(transposed)).toEqual(recalls(MATRIX));
    expect(recalls(transposed)).toEqual(precisions(MATRIX));
    expect(precisions(transposed)).not.toEqual(precisions(MATRIX));
  });

  it('gives each cell its share of the row', () => {
    expect(rowShares(MATRIX)).toEqual([[0.75, 0.25, 0], [0.25, 0.75, 0], [0, 0, 0]]);
  });
});
