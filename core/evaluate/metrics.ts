// Softmax, cross-entropy, top-k and the paper's top-1/top-5 error rates over [rows, classes] score arrays.

/** One ranked class of a row: its label and its score (a probability when the scores are softmax outputs). */
export interface RankedClass {
  label: number;
  probability: number;
}

/** Checks that `values` holds whole rows of `classes` scores and returns the number of rows. */
function rowCount(values: ArrayLike<number>, classes: number, what: string): number {
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`Class count ${classes} is not allowed; use a whole number of at least 1.`);
  const rows = values.length / classes;
  if (!Number.isInteger(rows)) throw new Error(`${what} has ${values.length} values, which is not a whole number of rows of ${classes} classes.`);
  return rows;
}

/** Checks that there is one integer label in 0..classes-1 per row. */
function checkLabels(labels: ArrayLike<number>, rows: number, classes: number): void {
  if (labels.length !== rows) throw new Error(`${labels.length} labels for ${rows} rows of scores; expected one label per row.`);
  for (let r = 0; r < rows; r++) {
    const label = labels[r]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new Error(`Label ${label} of row ${r} is outside 0..${classes - 1}.`);
  }
}

/**
 * Whether class `a` (score `sa`) ranks before class `b` (score `sb`): higher score first, the lower label on a tie, and
 * NaN after every number. topK and errorRates share it, so that a tie never counts differently in the two.
 */
function ranksBefore(sa: number, a: number, sb: number, b: number): boolean {
  if (Number.isNaN(sa)) return Number.isNaN(sb) && a < b;
  if (Number.isNaN(sb)) return true;
  return sa > sb || (sa === sb && a < b);
}

/**
 * Numerically stable softmax of each row of `logits` [rows, classes] (the row's maximum is subtracted before exp, and
 * the sums are in float64). A row holding NaN or an infinite logit gives NaN probabilities.
 */
export function softmax(logits: ArrayLike<number>, classes: number): Float32Array {
  const rows = rowCount(logits, classes, 'Logits');
  const out = new Float32Array(logits.length);
  const exps = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      exps[c] = Math.exp(logits[base + c]! - max);
      sum += exps[c]!;
    }
    for (let c = 0; c < classes; c++) out[base + c] = exps[c]! / sum;
  }
  return out;
}

/**
 * Mean cross-entropy (negative log-likelihood of the label) of `logits` [rows, classes] against one label per row,
 * through a float64 log-sum-exp: log Σ exp(z) = max + log Σ exp(z - max), so large logits do not overflow. NaN when
 * there are no rows.
 */
export function crossEntropy(logits: ArrayLike<number>, classes: number, labels: ArrayLike<number>): number {
  const rows = rowCount(logits, classes, 'Logits');
  checkLabels(labels, rows, classes);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
    total += max + Math.log(sum) - logits[base + labels[r]!]!;
  }
  return rows === 0 ? NaN : total / rows;
}

/**
 * The k best classes of each row of `scores` [rows, classes], best first; a tie goes to the lower label, and NaN
 * scores rank last. k larger than the class count gives every class.
 */
export function topK(scores: ArrayLike<number>, classes: number, k: number): RankedClass[][] {
  const rows = rowCount(scores, classes, 'Scores');
  if (!Number.isInteger(k) || k < 1) throw new Error(`k ${k} is not allowed; use a whole number of at least 1.`);
  const keep = Math.min(k, classes);
  const result: RankedClass[][] = [];
  // Insertion into a sorted list of the best `keep` labels: O(classes * k), cheaper than sorting for the usual k = 5.
  const best = new Int32Array(keep);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let filled = 0;
    for (let c = 0; c < classes; c++) {
      const s = scores[base + c]!;
      if (filled === keep) {
        const last = best[keep - 1]!;
        if (!ranksBefore(s, c, scores[base + last]!, last)) continue;
      } else {
        filled++;
      }
      let i = filled - 1;
      while (i > 0 && ranksBefore(s, c, scores[base + best[i - 1]!]!, best[i - 1]!)) {
        best[i] = best[i - 1]!;
        i--;
      }
      best[i] = c;
    }
    result.push(Array.from(best, (label) => ({ label, probability: scores[base + label]! })));
  }
  return result;
}

/** Top-1 and top-5 error over a set of rows (section 6), and how many rows they were measured on. */
export interface ErrorRates {
  /** Fraction of rows whose label is not the best class; NaN when there are no rows. */
  top1Error: number;
  /** Fraction of rows whose label is not among the min(5, classes) best classes; NaN when there are no rows. */
  top5Error: number;
  count: number;
}

/**
 * Top-1 and top-5 error (section 6) of `scores` [rows, classes] against one label per row. The label's rank is the
 * number of classes that topK would put before it (a strictly higher score, or an equal score and a lower label), so
 * a tie never counts in the label's favour twice. With fewer than five classes, top-5 uses all of them (and is 0).
 */
export function errorRates(scores: ArrayLike<number>, classes: number, labels: ArrayLike<number>): ErrorRates {
  const rows = rowCount(scores, classes, 'Scores');
  checkLabels(labels, rows, classes);
  const k = Math.min(5, classes);
  let wrong1 = 0;
  let wrong5 = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const label = labels[r]!;
    const target = scores[base + label]!;
    let ahead = 0;
    for (let c = 0; c < classes; c++) if (ranksBefore(scores[base + c]!, c, target, label)) ahead++;
    if (ahead >= 1) wrong1++;
    if (ahead >= k) wrong5++;
  }
  return { top1Error: rows ? wrong1 / rows : NaN, top5Error: rows ? wrong5 / rows : NaN, count: rows };
}
