// Checks softmax, cross-entropy, top-k, error rates, the confusion matrix and ten-crop averaging against brute force.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { accuracy, confusionMatrix, perClassAccuracy } from './confusion';
import { crossEntropy, errorRates, softmax, topK } from './metrics';
import { averageTenCrop, centreCropOffset, cropImage, tenCropOffsets } from './ten-crop';

describe('metrics', () => {
  const rng = new Rng(1);
  const classes = 7;
  const rows = 50;
  const logits = Float32Array.from({ length: rows * classes }, () => rng.normal(0, 3));
  const labels = Array.from({ length: rows }, () => rng.integer(classes));

  it('softmax rows sum to 1 and preserve order; cross-entropy is the mean of -log p', () => {
    const p = softmax(logits, classes);
    let ce = 0;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(p.subarray(r * classes, (r + 1) * classes));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      ce -= Math.log(row[labels[r]!]!);
    }
    expect(crossEntropy(logits, classes, labels)).toBeCloseTo(ce / rows, 4);
    expect(Array.from(softmax([1000, 1000], 2))).toEqual([0.5, 0.5]);
  });

  it('error rates agree with sorting each row (brute force)', () => {
    let wrong1 = 0;
    let wrong5 = 0;
    for (let r = 0; r < rows; r++) {
      const order = Array.from({ length: classes }, (_, c) => c).sort((a, b) => logits[r * classes + b]! - logits[r * classes + a]!);
      if (order[0] !== labels[r]) wrong1++;
      if (!order.slice(0, 5).includes(labels[r]!)) wrong5++;
    }
    const rates = errorRates(logits, classes, labels);
    expect(rates.top1Error).toBeCloseTo(wrong1 / rows, 12);
    expect(rates.top5Error).toBeCloseTo(wrong5 / rows, 12);
    expect(topK(logits, classes, 3)[0]!.map((t) => t.label)).toEqual(Array.from({ length: classes }, (_, c) => c).sort((a, b) => logits[b]! - logits[a]!).slice(0, 3));
  });

  it('counts ties against the label, and uses min(5, classes) for top-5', () => {
    expect(errorRates([1, 1, 1], 3, [2]).top1Error).toBe(1);
    expect(errorRates([1, 1, 1], 3, [0]).top1Error).toBe(0);
    expect(errorRates([0.1, 0.2, 0.7], 3, [0]).top5Error).toBe(0);
  });
});

describe('confusion matrix', () => {
  it('counts (true, predicted) pairs and derives per-class accuracy', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 4);
    expect(m).toEqual([[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]]);
    expect(perClassAccuracy(m)).toEqual([0.5, 1, 2 / 3, null]);
    expect(accuracy(m)).toBeCloseTo(4 / 6, 12);
    expect(() => confusionMatrix([5], [0], 4)).toThrow(/outside 0..3/);
  });
});

describe('ten crops (section 4.1)', () => {
  it("takes the centre, the four corners and their reflections of 227 from 256", () => {
    expect(centreCropOffset(256, 227)).toBe(14);
    expect(tenCropOffsets(256, 227).map((o) => [o.top, o.left, o.flip])).toEqual([
      [14, 14, false], [0, 0, false], [0, 29, false], [29, 0, false], [29, 29, false],
      [14, 14, true], [0, 0, true], [0, 29, true], [29, 0, true], [29, 29, true],
    ]);
  });

  it('crops and reflects pixel by pixel', () => {
    const size = 6;
    const src = Uint8Array.from({ length: size * size * 3 }, (_, i) => i % 251);
    const crop = cropImage(src, size, 1, 2, 3, true);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 3; c++) {
      expect(crop[(y * 3 + x) * 3 + c]).toBe(src[((1 + y) * size + 2 + (2 - x)) * 3 + c]);
    }
  });

  it('averages the ten softmax outputs of each image', () => {
    const classes = 3;
    const p = Float32Array.from({ length: 2 * 10 * classes }, (_, i) => (i % 7) / 10);
    const avg = averageTenCrop(p, classes);
    for (let img = 0; img < 2; img++) for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let k = 0; k < 10; k++) s += p[(img * 10 + k) * classes + c]!;
      expect(avg[img * classes + c]).toBeCloseTo(s / 10, 6);
    }
  });
});
