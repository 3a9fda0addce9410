// Checks the confusion matrix and its accuracies against hand-made cases and against counting pairs directly.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { accuracy, confusionMatrix, perClassAccuracy } from './confusion';

describe('confusion matrix', () => {
  it('puts the true class in rows and the prediction in columns (hand-made case)', () => {
    // Class 0: one right, one taken for 1. Class 1: right. Class 2: two right, one taken for 0. Class 3: no images.
    const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 4);
    expect(m).toEqual([
      [1, 1, 0, 0],
      [0, 1, 0, 0],
      [1, 0, 2, 0],
      [0, 0, 0, 0],
    ]);
    expect(perClassAccuracy(m)).toEqual([0.5, 1, 2 / 3, null]);
    expect(accuracy(m)).toBe(4 / 6);
  });

  it('agrees with counting each (true, predicted) pair independently on random data', () => {
    const rng = new Rng(5, 'confusion');
    const classes = 7;
    const n = 500;
    const labels = Int32Array.from({ length: n }, () => rng.integer(classes - 1)); // the last class has no images
    const predictions = Int32Array.from({ length: n }, (_, i) => (rng.uniform() < 0.6 ? labels[i]! : rng.integer(classes)));
    const m = confusionMatrix(labels, predictions, classes);
    for (let t = 0; t < classes; t++) {
      for (let p = 0; p < classes; p++) {
        const pairs = Array.from(labels).filter((label, i) => label === t && predictions[i] === p).length;
        expect(m[t]![p]).toBe(pairs);
      }
    }
    const perClass = perClassAccuracy(m);
    for (let t = 0; t < classes; t++) {
      const images = Array.from(labels).filter((label) => label === t).length;
      const right = Array.from(labels).filter((label, i) => label === t && predictions[i] === t).length;
      expect(perClass[t]).toBe(images === 0 ? null : right / images);
    }
    expect(perClass[classes - 1]).toBeNull();
    expect(accuracy(m)).toBeCloseTo(Array.from(labels).filter((label, i) => label === predictions[i]).length / n, 12);
  });

  it('is NaN for accuracy with no images', () => {
    expect(accuracy(confusionMatrix([], [], 3))).toBeNaN();
    expect(perClassAccuracy(confusionMatrix([], [], 2))).toEqual([null, null]);
  });

  it('refuses labels and predictions outside the classes, or of different lengths', () => {
    expect(() => confusionMatrix([5], [0], 4)).toThrow(/Label 5 of image 0 is outside 0..3/);
    expect(() => confusionMatrix([0, 1], [0, -1], 4)).toThrow(/Prediction -1 of image 1 is outside 0..3/);
    expect(() => confusionMatrix([1.5], [0], 4)).toThrow(/Label 1.5/);
    expect(() => confusionMatrix([0], [0, 1], 4)).toThrow(/1 labels but 2 predictions/);
    expect(() => accuracy([[1, 2], [3]])).toThrow(/Row 1 .* has 1 columns; expected 2/);
    // The last class is inside, one past it is not, on both sides of the matrix.
    expect(confusionMatrix([3], [3], 4)[3]![3]).toBe(1);
    expect(() => confusionMatrix([4], [0], 4)).toThrow(/Label 4 of image 0 is outside 0..3/);
    expect(() => confusionMatrix([0], [4], 4)).toThrow(/Prediction 4 of image 0 is outside 0..3/);
    expect(() => confusionMatrix([0], [0.5], 4)).toThrow(/Prediction 0.5/);
    expect(() => confusionMatrix([-1], [0], 4)).toThrow(/Label -1 of image 0 is outside 0..3/);
  });

  it('takes one class or more, in whole numbers', () => {
    expect(confusionMatrix([0, 0], [0, 0], 1)).toEqual([[2]]);
    expect(() => confusionMatrix([], [], 0)).toThrow('Class count 0 is not allowed; use a whole number of at least 1.');
    expect(() => confusionMatrix([], [], 2.5)).toThrow('Class count 2.5 is not allowed');
  });
});
