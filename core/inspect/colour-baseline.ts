// Figure 3 against its baselines: each tower's mean colour specificity beside what random kernels score and what the
// same tower scored at initialisation, a permutation test of the split between the towers, and a verdict in words.
//
// A score means little on its own: random kernels already score about 2/3, since two of the three colour directions
// at each pixel are chromatic. For a kernel of n pixels whose 3n values are i.i.d. N(0, s²) (the paper's N(0, 0.01)
// and He-normal initialisations), the chromatic energy C / s² is χ²(2n) (two free deviations from the pixel's grey per
// pixel) and the grey energy L / s² = 3 Σ (m - w̄)² / s² is χ²(n - 1) (the pixel greys have variance s² / 3), the two
// independent, so the score C / (C + L) is Beta(n, (n - 1) / 2): mean 2n / (3n - 1), 0.6685 for 11 x 11 kernels.
// Kaiming-uniform values are not Gaussian; their mean score differs from this by well under a tower's sd (tested).
import type { ColourBaseline, TowerColour, TowerSplit } from '../api/contract';
import { initialParameters, type Initialisation } from '../model/alexnet';
import type { ModelConfig } from '../model/config';
import { Rng } from '../random/rng';
import type { KernelSnapshotRow, RunRow } from '../runlog/run-log';
import { kernelScores, snapshotTowers, type KernelShape } from './kernels';

/** The split between towers is significant below this two-sided p-value. */
export const SIGNIFICANCE = 0.05;
/** The random-kernel range: the expected mean score ± this many sd of a tower's mean (about 95 % of random towers). */
export const RANDOM_RANGE_SDS = 2;
/** Shuffles of the permutation test by default: p is then known to about ±0.002 near 0.05. */
export const PERMUTATIONS = 10_000;
/** Splits this close to the observed one count as reaching it: rounding must not break ties between equal splits. */
const TIE_TOLERANCE = 1e-12;

/** What the score is, in one sentence (shown by the CLI, the report and the Kernels view). */
export const COLOUR_DEFINITION =
  "Colour specificity is the share of a kernel's energy (its squared deviations from its own mean) that lies in the differences between R, G and B at each pixel rather than in its grey pattern: 0 for a grey kernel, 1 for pure colour opponency, and about 2/3 for random kernels (0.669 for 11 × 11), because two of the three colour directions at each pixel are chromatic.";

/** How the verdict is reached, in one sentence. */
export const COLOUR_METHOD = `Each tower is read against the random-kernel range (what random kernels score on average, ± ${RANDOM_RANGE_SDS} sd for a tower of that many kernels) and against its own kernels at initialisation, and the towers count as specialised when fewer than 5 % of ${PERMUTATIONS.toLocaleString('en')} random reshuffles of the kernels between them split them as far apart (two-sided permutation test, p < ${SIGNIFICANCE}).`;

/** The score of one random kernel of `pixels` pixels (i.i.d. Gaussian values): Beta(n, (n - 1) / 2)'s mean and sd. */
export function randomKernelScore(pixels: number): { mean: number; sd: number } {
  if (!Number.isInteger(pixels) || pixels < 1) throw new Error(`A kernel of ${pixels} pixels is not allowed; use a whole number of at least 1.`);
  const a = pixels;
  const b = (pixels - 1) / 2;
  return { mean: a / (a + b), sd: Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1))) };
}

/** What a tower of `kernels` random kernels scores: the expected mean, and the sd of that mean (one kernel's / √m). */
export function randomTowerScore(pixels: number, kernels: number): { mean: number; sd: number } {
  if (!Number.isInteger(kernels) || kernels < 1) throw new Error(`A tower of ${kernels} kernels is not allowed; use a whole number of at least 1.`);
  const one = randomKernelScore(pixels);
  return { mean: one.mean, sd: one.sd / Math.sqrt(kernels) };
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * The split between two towers' scores, mean(b) - mean(a), and its two-sided permutation p-value: the kernels are
 * dealt at random into towers of the same sizes `permutations` times (seeded, so the same scores give the same p),
 * and p = (1 + deals whose |split| reaches the observed |split|) / (1 + permutations). Counting the observed split
 * itself keeps p above 0, as it must be for a test that could only have seen the deals it drew.
 */
export function splitTest(a: readonly number[], b: readonly number[], permutations = PERMUTATIONS, seed = 0): { difference: number; p: number } {
  if (a.length === 0 || b.length === 0) throw new Error(`Both towers need kernels to compare; got ${a.length} and ${b.length}.`);
  if (!Number.isInteger(permutations) || permutations < 1 || permutations > 1e7) throw new Error(`${permutations} permutations is not allowed; use a whole number from 1 to 10,000,000.`);
  const pooled = [...a, ...b];
  const total = pooled.reduce((s, x) => s + x, 0);
  const difference = mean(b) - mean(a);
  const threshold = Math.abs(difference) - TIE_TOLERANCE;
  const rng = new Rng(seed, 'tower-split');
  const order = pooled.map((_, i) => i);
  let reached = 0;
  for (let p = 0; p < permutations; p++) {
    // A partial Fisher-Yates shuffle deals a uniformly random set of a.length kernels to tower a, whatever the order.
    let sumA = 0;
    for (let i = 0; i < a.length; i++) {
      const j = i + rng.integer(pooled.length - i);
      const picked = order[j]!;
      order[j] = order[i]!;
      order[i] = picked;
      sumA += pooled[picked]!;
    }
    if (Math.abs((total - sumA) / b.length - sumA / a.length) >= threshold) reached++;
  }
  return { difference, p: (1 + reached) / (1 + permutations) };
}

/** One tower's conv1 kernels, and the same tower's at initialisation where known. */
export interface TowerWeights {
  tower: string;
  /** HWIO, of the shape given. */
  weights: ArrayLike<number>;
  initial?: ArrayLike<number> | undefined;
}

export interface BaselineOptions {
  /** Shuffles of the split's permutation test. Default PERMUTATIONS; 1 to 10,000,000. */
  permutations?: number;
  /** Seed of the shuffles. Default 0. */
  seed?: number;
}

const three = (x: number) => x.toFixed(3);

/** A p-value as the verdict writes it; a significant p never reads as 0.050. */
export function formatP(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  const text = p < 0.1 ? p.toFixed(3) : p.toFixed(2);
  return p < SIGNIFICANCE && Number(text) >= SIGNIFICANCE ? `p < ${SIGNIFICANCE}` : `p = ${text}`;
}

/** The random-kernel range as text: '0.668 ± 0.010' (the mean ± RANDOM_RANGE_SDS sd). */
export function formatRandomRange(random: { mean: number; sd: number }): string {
  return `${three(random.mean)} ± ${three(RANDOM_RANGE_SDS * random.sd)}`;
}

/** Where each tower lies against the random-kernel range, as the second half of the verdict. */
function againstRandomText(towers: readonly TowerColour[]): string {
  const ranges = [...new Set(towers.map((t) => formatRandomRange(t.random)))];
  const [x, y] = towers as [TowerColour, TowerColour | undefined];
  if (!y) return `its ${x.kernels} kernels score ${three(x.score)}, ${x.againstRandom} the random-kernel range (${ranges[0]})`;
  if (ranges.length === 1) {
    if (x.againstRandom === y.againstRandom) return `both score ${x.againstRandom} the random-kernel range (${ranges[0]})`;
    return `tower ${x.tower} scores ${three(x.score)}, ${x.againstRandom} the random-kernel range (${ranges[0]}), and tower ${y.tower} ${three(y.score)}, ${y.againstRandom} it`;
  }
  return towers.map((t) => `tower ${t.tower} scores ${three(t.score)}, ${t.againstRandom} the random-kernel range (${formatRandomRange(t.random)})`).join(', and ');
}

/**
 * Each tower's mean score against the random-kernel range and its own start, the split between two towers with its
 * permutation p-value, and the verdict: specialised when p < SIGNIFICANCE, else 'no specialisation detectable'.
 */
export function colourBaseline(towers: readonly TowerWeights[], shape: KernelShape, options: BaselineOptions = {}): ColourBaseline {
  if (towers.length < 1 || towers.length > 2) throw new Error(`Figure 3 compares one or two towers; got ${towers.length}.`);
  const scored = towers.map((t) => ({ tower: t.tower, scores: kernelScores(t.weights, shape), initial: t.initial === undefined ? null : mean(kernelScores(t.initial, shape)) }));
  const colours: TowerColour[] = scored.map((t) => {
    const score = mean(t.scores);
    const random = randomTowerScore(shape[0] * shape[1], t.scores.length);
    const z = (score - random.mean) / random.sd;
    return { tower: t.tower, kernels: t.scores.length, score, initialScore: t.initial, random, againstRandom: z < -RANDOM_RANGE_SDS ? 'below' : z > RANDOM_RANGE_SDS ? 'above' : 'within' };
  });
  const against = againstRandomText(colours);
  if (colours.length === 1) return { towers: colours, split: null, specialised: false, verdict: `one tower, so no split between towers to test; ${against}` };
  const [a, b] = scored as [(typeof scored)[0], (typeof scored)[0]];
  const permutations = options.permutations ?? PERMUTATIONS;
  const { difference, p } = splitTest(a.scores, b.scores, permutations, options.seed ?? 0);
  const significant = p < SIGNIFICANCE;
  const [more, less] = difference > 0 ? [b.tower, a.tower] : [a.tower, b.tower];
  const split: TowerSplit = { difference, moreSpecific: more, p, permutations, significant };
  const test = `the towers differ by ${three(Math.abs(difference))} (${formatP(p)}, permutation test)`;
  const verdict = significant ? `tower ${more} is more colour-specific than tower ${less}: ${test}; ${against}` : `no specialisation detectable: ${test}; ${against}`;
  return { towers: colours, split, specialised: significant, verdict };
}

/**
 * conv1's kernels of each tower at step 0 of a run with these settings: exactly what AlexNet.create (and so the
 * trainer) starts from, drawn from the same stream and stopped once conv1's kernels are drawn (they come first).
 */
export function initialConv1(config: ModelConfig, scheme: Initialisation, seed: number): Float32Array[] {
  const kernels: Float32Array[] = [];
  for (const [spec, values] of initialParameters(config, scheme, seed)) {
    if (spec.name.startsWith('conv1/') && spec.kind === 'weight') kernels.push(values);
    if (kernels.length === config.towers) break;
  }
  return kernels;
}

/**
 * The towers of conv1 at step 0 for a run of the log: regenerated from the settings it was created with ({ model,
 * recipe }, see runSettings) and its seed; for a run trained elsewhere (an imported cluster job, whose settings say
 * `trainedBy`: another generator drew its weights), its epoch-0 snapshot. Undefined where neither is known.
 */
export function runInitialConv1(run: Pick<RunRow, 'config' | 'seed'>, snapshots: readonly Pick<KernelSnapshotRow, 'epoch' | 'step' | 'shape' | 'data'>[]): Float32Array[] | undefined {
  const settings = run.config as { model?: ModelConfig; recipe?: { initialisation?: Initialisation }; trainedBy?: unknown } | null;
  if (settings?.trainedBy !== undefined) {
    const start = snapshots.find((s) => s.epoch === 0 && s.step === 0);
    return start ? snapshotTowers(start).towers.map((t) => t.weights) : undefined;
  }
  const scheme = settings?.recipe?.initialisation;
  if (!settings?.model || !scheme) return undefined;
  return initialConv1(settings.model, scheme, run.seed);
}
