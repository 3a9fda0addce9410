// The shapes of a reproduction's result (result.json beside its report): the runs' errors, Figures 3 and 4, and the
// cross-check against a reference. Both the reproduction (reproduce.ts) and the cross-check (cross-check.ts) write
// parts of it, so its types live here, apart from either.
import type { ColourBaseline } from '../api/contract';
import type { CropMode, Preset, RecipeName } from '../vocabulary';
import type { TowerHistory } from './measures';
import type { Variant } from './variants';

/** How a run of the reproduction came about. */
export type RunStart = 'new' | 'reused' | 'resumed';

export interface Errors {
  top1: number;
  top5: number;
}

export interface RunResult {
  runId: string;
  seed: number;
  crops: Record<CropMode, Errors>;
}

export interface Retrieval {
  runId: string;
  seed: number;
  ks: number[];
  /** precision@k of fc7 neighbours and of raw-pixel neighbours, one per k. */
  fc7: number[];
  pixels: number[];
  /** A few test queries with their six nearest training images each way (positions in the splits). */
  examples: { query: number; byFeatures: number[]; byPixels: number[] }[];
  /**
   * The paper's second point about Figure 4: the mean raw-pixel distance (Euclidean, 64x64, 0..255) from a test image
   * to its k nearest training images (k the largest of ks) as fc7 finds them and as pixels find them; fc7's are far
   * apart in pixels when the first is much the larger. Absent from reports written before it was measured.
   */
  pixelDistance?: { k: number; fc7: number; pixels: number };
}

export interface Reproduction {
  date: string;
  codeVersion: string;
  backend: string;
  device: string;
  preset: Preset;
  recipe: RecipeName;
  epochs: number;
  batchSize: number;
  dataset: { id: string; name: string; labels: string[]; train: number; test: number };
  variants: { variant: Variant; runs: RunResult[] }[];
  /**
   * Figure 3 for each run of the full model: the towers' scores after every epoch, and after the last against their
   * baselines (absent from reports written before it was measured, and for a run without kernel snapshots).
   */
  towers: { runId: string; seed: number; history: TowerHistory; colour?: ColourBaseline }[];
  /** Figure 4 for each run of the full model. */
  retrieval: Retrieval[];
  /** The comparison with an independent reference (PyTorch), when one was given. */
  crossCheck?: CrossCheck;
}

export type CrossCheckVerdict = 'within' | 'outside' | 'cannot tell';

export interface CrossCheck {
  /** `pixels`: where the reference's pixels came from ('workbench cache', or 'decoded by Pillow'), when it says. */
  reference: { name: string; version: string | null; device: string; date: string; file: string; pixels: string | null };
  tolerancePoints: number;
  /** The full model's centre-crop top-1 error, one per seed, ours and the reference's (paired or not). */
  ours: { seed: number; top1: number }[];
  theirs: { seed: number; top1: number }[];
  /** The seeds both sides trained, in seed order: each one's top-1 errors and their difference in points. */
  pairs: { seed: number; ours: number; theirs: number; differencePoints: number }[];
  /** Mean of the paired differences, ours minus theirs, in points (positive: we are worse); NaN without pairs. */
  differencePoints: number;
  /** Its standard error (the differences' sample sd over the square root of the pairs); NaN with fewer than 2. */
  standardErrorPoints: number;
  /** The CROSS_CHECK_CONFIDENCE interval of the mean difference, in points; null with fewer than 2 pairs. */
  interval: { confidence: number; low: number; high: number } | null;
  verdict: CrossCheckVerdict;
  /** The verdict in one sentence, with its reason. */
  reading: string;
  /** Every variant both sides trained: its centre-crop errors, averaged over its seeds. */
  variants: { id: string; ours: Errors; theirs: Errors }[];
}
