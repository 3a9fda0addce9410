// Softmax, cross-entropy, top-k and error rates over [rows, classes] score arrays.

/** Numerically stable softmax of each row. */
export function softmax(logits: ArrayLike<number>, classes: number): Float32Array {
  const rows = logits.length / classes;
  const out = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
    for (let c = 0; c < classes; c++) out[base + c] = Math.exp(logits[base + c]! - max) / sum;
  }
  return out;
}

/** Mean cross-entropy of logits against integer labels (log-sum-exp in float64). */
export function crossEntropy(logits: ArrayLike<number>, classes: number, labels: ArrayLike<number>): number {
  let total = 0;
  for (let r = 0; r < labels.length; r++) {
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
    total += max + Math.log(sum) - logits[base + labels[r]!]!;
  }
  return total / labels.length;
}

/** The k best classes of each row, best first; ties go to the lower label. */
export function topK(scores: ArrayLike<number>, classes: number, k: number): { label: number; probability: number }[][] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k ${k} is not allowed; use a whole number of at least 1.`);
  const rows = scores.length / classes;
  const result: { label: number; probability: number }[][] = [];
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: classes }, (_, c) => c);
    order.sort((a, b) => scores[r * classes + b]! - scores[r * classes + a]! || a - b);
    result.push(order.slice(0, Math.min(k, classes)).map((label) => ({ label, probability: scores[r * classes + label]! })));
  }
  return result;
}

/**
 * Top-1 and top-5 error (section 6): the fraction of rows whose label is not the best class, or not among the five
 * best (min(5, classes)). A label counts as ranked below every class with a strictly higher score and every class
 * with an equal score and a lower label, as topK orders them.
 */
export function errorRates(scores: ArrayLike<number>, classes: number, labels: ArrayLike<number>): { top1Error: number; top5Error: number; count: number } {
  const k = Math.min(5, classes);
  let wrong1 = 0;
  let wrong5 = 0;
  for (let r = 0; r < labels.length; r++) {
    const label = labels[r]!;
    const target = scores[r * classes + label]!;
    let ahead = 0;
    for (let c = 0; c < classes; c++) {
      const s = scores[r * classes + c]!;
      if (s > target || (s === target && c < label)) ahead++;
    }
    if (ahead >= 1) wrong1++;
    if (ahead >= k) wrong5++;
  }
  const count = labels.length;
  return { top1Error: count ? wrong1 / count : NaN, top5Error: count ? wrong5 / count : NaN, count };
}
