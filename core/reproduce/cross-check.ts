// The cross-check of a reproduction against an independent reference: the same model and recipe trained in PyTorch
// on the same data for the same epochs (bench/reference_train.py). Seed i of our full model is paired with seed i of
// the reference's; the mean of the paired differences in centre-crop top-1 error, with its 95 % confidence interval
// (Student's t), decides: within the tolerance when the whole interval is, outside when none of it is, and "cannot
// tell" otherwise, or with fewer than MIN_PAIRED_SEEDS pairs.
import fs from 'node:fs';
import { z } from 'zod';
import { studentTQuantile } from '../math/student-t';
import type { CrossCheck, Errors, Reproduction } from './results';

export type { CrossCheck, CrossCheckVerdict } from './results';

/** How far (in points of top-1 error) our full model may be from the reference's. */
export const CROSS_CHECK_TOLERANCE = 2;
/** Paired seeds a verdict needs: fewer give no useful estimate of the seeds' scatter. */
export const MIN_PAIRED_SEEDS = 5;
/** The confidence of the interval the verdict reads. */
export const CROSS_CHECK_CONFIDENCE = 0.95;

const errorsSchema = z.object({ top1: z.number().min(0).max(1), top5: z.number().min(0).max(1) });

const referenceSchema = z.object({
  reference: z.string().min(1),
  torch: z.string().optional(),
  device: z.string(),
  date: z.string(),
  preset: z.enum(['paper', 'quick']),
  recipe: z.enum(['paper', 'small-data']),
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  dataset: z.object({ labels: z.array(z.string()).min(1), train: z.number().int().nonnegative(), test: z.number().int().positive(), pixels: z.string().optional() }),
  runs: z
    .array(
      z.object({
        variant: z.string(),
        seed: z.number().int().nonnegative(),
        crops: z.object({ centre: errorsSchema, ten: errorsSchema }),
        seconds: z.number().optional(),
      }),
    )
    .min(1),
});

export type ReferenceResult = z.infer<typeof referenceSchema>;

/** Reads and checks a reference file, naming the file and the field when it is not one. */
export function readReference(file: string): ReferenceResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the reference '${file}': ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The reference '${file}' is not JSON (${(error as Error).message}); expected what bench/reference_train.py writes.`);
  }
  const parsed = referenceSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`The reference '${file}' has a bad '${issue.path.join('.') || '(top level)'}': ${issue.message}; expected what bench/reference_train.py writes.`);
  }
  if (!parsed.data.runs.some((r) => r.variant === 'full')) throw new Error(`The reference '${file}' has no run of the full model ('variant': 'full').`);
  return parsed.data;
}

/** The settings a reference must share with the reproduction, checked before hours of training or a comparison. */
export function checkComparable(ours: { preset: string; recipe: string; epochs?: number | undefined; batchSize?: number | undefined; dataset: { labels: string[]; train: number; test: number } }, reference: ReferenceResult, file: string): void {
  const differ = (what: string, a: unknown, b: unknown) =>
    new Error(`The reference '${file}' was trained with ${what} ${JSON.stringify(b)}, this reproduction with ${JSON.stringify(a)}; a cross-check needs the same model, recipe, data and budget.`);
  if (ours.preset !== reference.preset) throw differ('preset', ours.preset, reference.preset);
  if (ours.recipe !== reference.recipe) throw differ('recipe', ours.recipe, reference.recipe);
  if (ours.epochs !== undefined && ours.epochs !== reference.epochs) throw differ('epochs', ours.epochs, reference.epochs);
  if (ours.batchSize !== undefined && ours.batchSize !== reference.batchSize) throw differ('batch size', ours.batchSize, reference.batchSize);
  const sorted = (labels: string[]) => [...labels].sort();
  if (JSON.stringify(sorted(ours.dataset.labels)) !== JSON.stringify(sorted(reference.dataset.labels))) throw differ('classes', sorted(ours.dataset.labels), sorted(reference.dataset.labels));
  if (ours.dataset.train !== reference.dataset.train) throw differ('training images', ours.dataset.train, reference.dataset.train);
  if (ours.dataset.test !== reference.dataset.test) throw differ('test images', ours.dataset.test, reference.dataset.test);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Compares a finished reproduction with a reference: throws when they are not comparable. */
export function crossCheck(result: Reproduction, reference: ReferenceResult, file: string): CrossCheck {
  checkComparable(result, reference, file);
  const full = result.variants.find((v) => v.variant.id === 'full')?.runs ?? [];
  if (full.length === 0) throw new Error('The reproduction has no run of the full model to compare.');
  const ours = full.map((r) => ({ seed: r.seed, top1: r.crops.centre.top1 }));
  const theirs = reference.runs.filter((r) => r.variant === 'full').map((r) => ({ seed: r.seed, top1: r.crops.centre.top1 }));
  const pairs = ours
    .filter((o) => theirs.some((t) => t.seed === o.seed))
    .map((o) => {
      const other = theirs.find((t) => t.seed === o.seed)!.top1;
      return { seed: o.seed, ours: o.top1, theirs: other, differencePoints: 100 * (o.top1 - other) };
    })
    .sort((a, b) => a.seed - b.seed);
  const variants: CrossCheck['variants'] = [];
  for (const { variant, runs } of result.variants) {
    const others = reference.runs.filter((r) => r.variant === variant.id);
    if (runs.length === 0 || others.length === 0) continue;
    const average = (xs: Errors[]): Errors => ({ top1: mean(xs.map((x) => x.top1)), top5: mean(xs.map((x) => x.top5)) });
    variants.push({ id: variant.id, ours: average(runs.map((r) => r.crops.centre)), theirs: average(others.map((r) => r.crops.centre)) });
  }
  return {
    reference: { name: reference.reference, version: reference.torch ?? null, device: reference.device, date: reference.date, file, pixels: reference.dataset.pixels ?? null },
    tolerancePoints: CROSS_CHECK_TOLERANCE,
    ours,
    theirs,
    pairs,
    ...pairedVerdict(pairs.map((p) => p.differencePoints), CROSS_CHECK_TOLERANCE),
    variants,
  };
}

/** The mean of paired differences, its standard error and interval, and what they say about a tolerance. */
export function pairedVerdict(differences: readonly number[], tolerance: number): Pick<CrossCheck, 'differencePoints' | 'standardErrorPoints' | 'interval' | 'verdict' | 'reading'> {
  const n = differences.length;
  const differencePoints = n > 0 ? mean([...differences]) : Number.NaN;
  const sd = n > 1 ? Math.sqrt(differences.reduce((s, d) => s + (d - differencePoints) ** 2, 0) / (n - 1)) : Number.NaN;
  const standardErrorPoints = sd / Math.sqrt(n);
  const t = n > 1 ? studentTQuantile(1 - (1 - CROSS_CHECK_CONFIDENCE) / 2, n - 1) : Number.NaN;
  const interval = n > 1 ? { confidence: CROSS_CHECK_CONFIDENCE, low: differencePoints - t * standardErrorPoints, high: differencePoints + t * standardErrorPoints } : null;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  const estimate = interval ? `${signed(differencePoints)} points (${Math.round(100 * CROSS_CHECK_CONFIDENCE)} % interval ${signed(interval.low)} to ${signed(interval.high)})` : n === 1 ? `${signed(differencePoints)} points` : 'no difference';
  if (n < MIN_PAIRED_SEEDS || !interval) {
    return { differencePoints, standardErrorPoints, interval, verdict: 'cannot tell', reading: `Cannot tell: ${n} paired seed${n === 1 ? '' : 's'} (seed i on both sides), a verdict needs at least ${MIN_PAIRED_SEEDS}; the mean difference is ${estimate}.` };
  }
  // A hair of slack for rounding: an interval that ends exactly at the tolerance is within it.
  const slack = 1e-9;
  if (interval.low >= -tolerance - slack && interval.high <= tolerance + slack) {
    return { differencePoints, standardErrorPoints, interval, verdict: 'within', reading: `Within the tolerance of ${tolerance} points: the mean paired difference over ${n} seeds is ${estimate}, all of it inside ±${tolerance}.` };
  }
  if (interval.low > tolerance + slack || interval.high < -tolerance - slack) {
    return { differencePoints, standardErrorPoints, interval, verdict: 'outside', reading: `Outside the tolerance of ${tolerance} points: the mean paired difference over ${n} seeds is ${estimate}, all of it beyond ±${tolerance}.` };
  }
  return { differencePoints, standardErrorPoints, interval, verdict: 'cannot tell', reading: `Cannot tell: the mean paired difference over ${n} seeds is ${estimate}, an interval that crosses ±${tolerance}; more seeds would narrow it.` };
}
