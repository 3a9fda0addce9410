// The cross-check of a reproduction against an independent reference: the same model and recipe trained in PyTorch
// on the same data for the same epochs (bench/reference_train.py). Our centre-crop top-1 error, averaged over the
// full model's seeds, must be within CROSS_CHECK_TOLERANCE of the reference's.
import fs from 'node:fs';
import { z } from 'zod';
import type { Errors, Reproduction } from './reproduce';

/** How far (in points of top-1 error, averaged over seeds) our full model may be from the reference's. */
export const CROSS_CHECK_TOLERANCE = 2;

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
  dataset: z.object({ labels: z.array(z.string()).min(1), train: z.number().int().nonnegative(), test: z.number().int().positive() }),
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

export interface CrossCheck {
  reference: { name: string; version: string | null; device: string; date: string; file: string };
  tolerancePoints: number;
  /** The full model's centre-crop top-1 error, one per seed, ours and the reference's. */
  ours: { seed: number; top1: number }[];
  theirs: { seed: number; top1: number }[];
  /** Mean of ours minus mean of theirs, in points (positive: we are worse). */
  differencePoints: number;
  passed: boolean;
  /** Every variant both sides trained: its centre-crop errors, averaged over its seeds. */
  variants: { id: string; ours: Errors; theirs: Errors }[];
}

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
  const differencePoints = 100 * (mean(ours.map((r) => r.top1)) - mean(theirs.map((r) => r.top1)));
  const variants: CrossCheck['variants'] = [];
  for (const { variant, runs } of result.variants) {
    const others = reference.runs.filter((r) => r.variant === variant.id);
    if (runs.length === 0 || others.length === 0) continue;
    const average = (xs: Errors[]): Errors => ({ top1: mean(xs.map((x) => x.top1)), top5: mean(xs.map((x) => x.top5)) });
    variants.push({ id: variant.id, ours: average(runs.map((r) => r.crops.centre)), theirs: average(others.map((r) => r.crops.centre)) });
  }
  return {
    reference: { name: reference.reference, version: reference.torch ?? null, device: reference.device, date: reference.date, file },
    tolerancePoints: CROSS_CHECK_TOLERANCE,
    ours,
    theirs,
    differencePoints,
    // A hair of slack for the rounding of the means: a difference of exactly the tolerance is within it.
    passed: Math.abs(differencePoints) <= CROSS_CHECK_TOLERANCE + 1e-9,
    variants,
  };
}
