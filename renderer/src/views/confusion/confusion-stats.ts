// Per-class precision and recall from a confusion matrix ([true class][predicted class] counts), and the cell shares
// the matrix shows: the numbers a confusion view reads beside the counts.

/** Recall of class i: its correct predictions over its test images (the row); null for a class with no test image. */
export function recalls(matrix: readonly (readonly number[])[]): (number | null)[] {
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? null : row[i]! / total;
  });
}

/** Precision of class j: correct predictions of j over all predictions of j (the column); null when never predicted. */
export function precisions(matrix: readonly (readonly number[])[]): (number | null)[] {
  return matrix.map((_, j) => {
    const predicted = matrix.reduce((sum, row) => sum + row[j]!, 0);
    return predicted === 0 ? null : matrix[j]![j]! / predicted;
  });
}

/** Each cell's share of its row (0 for an empty row). */
export function rowShares(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((cell) => (total === 0 ? 0 : cell / total));
  });
}
