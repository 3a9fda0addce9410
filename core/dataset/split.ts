// The seeded, stratified train/test split used when a dataset folder has no train/ and test/ folders.
import { Rng } from '../random/rng';

/**
 * Chooses which of a class's items go to test: round(n * fraction) of them, at random from the seed, but always
 * leaving at least one for training (a class of one image trains only). Returns the test set as indices.
 */
export function stratifiedTestIndices(count: number, fraction: number, seed: number, className: string): Set<number> {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`Test fraction ${fraction} is not allowed; use a number between 0 and 1.`);
  const tests = Math.min(Math.round(count * fraction), Math.max(0, count - 1));
  const order = new Rng(seed, 'split', className).permutation(count);
  return new Set(order.slice(0, tests));
}
