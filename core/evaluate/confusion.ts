// The confusion matrix (rows: true class, columns: predicted class) and the accuracies read from it.

export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[][] {
  if (labels.length !== predictions.length) throw new Error(`${labels.length} labels but ${predictions.length} predictions.`);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const truth = labels[i]!;
    const predicted = predictions[i]!;
    if (truth < 0 || truth >= classes || predicted < 0 || predicted >= classes) {
      throw new Error(`Label ${truth} or prediction ${predicted} is outside 0..${classes - 1}.`);
    }
    matrix[truth]![predicted]!++;
  }
  return matrix;
}

/** Each class's fraction of correct answers; null for a class with no images. */
export function perClassAccuracy(matrix: number[][]): (number | null)[] {
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? null : row[i]! / total;
  });
}

export function accuracy(matrix: number[][]): number {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, i) => {
    correct += row[i]!;
    total += row.reduce((a, b) => a + b, 0);
  });
  return total === 0 ? NaN : correct / total;
}
