// The confusion matrix (rows: true class, columns: predicted class) and the accuracies read from it.

/**
 * Counts each (true class, predicted class) pair: matrix[truth][predicted], [classes, classes]. Labels and predictions
 * are class indices in 0..classes-1, one per image.
 */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[][] {
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`Class count ${classes} is not allowed; use a whole number of at least 1.`);
  if (labels.length !== predictions.length) throw new Error(`${labels.length} labels but ${predictions.length} predictions; expected one of each per image.`);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const truth = labels[i]!;
    const predicted = predictions[i]!;
    if (!Number.isInteger(truth) || truth < 0 || truth >= classes) throw new Error(`Label ${truth} of image ${i} is outside 0..${classes - 1}.`);
    if (!Number.isInteger(predicted) || predicted < 0 || predicted >= classes) {
      throw new Error(`Prediction ${predicted} of image ${i} is outside 0..${classes - 1}.`);
    }
    matrix[truth]![predicted]!++;
  }
  return matrix;
}

function checkSquare(matrix: number[][]): void {
  matrix.forEach((row, i) => {
    if (row.length !== matrix.length) throw new Error(`Row ${i} of the confusion matrix has ${row.length} columns; expected ${matrix.length} (one per class).`);
  });
}

/** Each class's fraction of its images that were predicted correctly; null for a class with no images. */
export function perClassAccuracy(matrix: number[][]): (number | null)[] {
  checkSquare(matrix);
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? null : row[i]! / total;
  });
}

/** The fraction of all images predicted correctly (the diagonal over the total); NaN for an empty matrix. */
export function accuracy(matrix: number[][]): number {
  checkSquare(matrix);
  let correct = 0;
  let total = 0;
  matrix.forEach((row, i) => {
    correct += row[i]!;
    total += row.reduce((a, b) => a + b, 0);
  });
  return total === 0 ? NaN : correct / total;
}
