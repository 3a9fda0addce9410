// The comparisons the paper makes, each a variant of its network trained with the same seed, data and budget, and
// the effect the paper reports for it (points of top-1 and top-5 error on ImageNet, variant minus full model).
import type { Ablations } from '../vocabulary';

export interface Variant {
  id: string;
  label: string;
  /** The switches off the full model (noPcaNoise is the recipe's). */
  ablations: Partial<Ablations>;
  section: string;
  /** What the paper reports for this change, in words. */
  paper: string;
  /** The paper's difference in top-1 and top-5 error, in points, where it gives one. */
  paperTop1?: number;
  paperTop5?: number;
}

export const FULL_MODEL: Variant = { id: 'full', label: "The paper's network", ablations: {}, section: '3', paper: 'the reference' };

export const ABLATION_VARIANTS: Variant[] = [
  { id: 'one-tower', label: 'One tower', ablations: { oneTower: true }, section: '3.2', paper: 'two towers lower top-1 by 1.7 and top-5 by 1.2 points', paperTop1: 1.7, paperTop5: 1.2 },
  { id: 'no-lrn', label: 'No local response normalisation', ablations: { noLrn: true }, section: '3.3', paper: 'LRN lowers top-1 by 1.4 and top-5 by 1.2 points', paperTop1: 1.4, paperTop5: 1.2 },
  { id: 'non-overlapping-pooling', label: 'Non-overlapping pooling', ablations: { nonOverlappingPooling: true }, section: '3.4', paper: 'overlapping pooling lowers top-1 by 0.4 and top-5 by 0.3 points', paperTop1: 0.4, paperTop5: 0.3 },
  { id: 'no-dropout', label: 'No dropout', ablations: { noDropout: true }, section: '4.2', paper: 'without dropout the network overfits substantially (no error figure given)' },
  { id: 'no-pca-noise', label: 'No PCA colour noise', ablations: { noPcaNoise: true }, section: '4.1', paper: 'PCA colour noise lowers top-1 by over 1 point', paperTop1: 1 },
];
