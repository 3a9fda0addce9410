// The seeded, stratified train/test split used when a dataset folder has no train/ and test/ folders.
import { Rng } from '../random/rng';

/** Test images a class of `count` images gets: round(count * fraction), but always at least one image to train on. */
export function testCount(count: number, fraction: number): number {
  return Math.max(0, Math.min(Math.round(count * fraction), count - 1));
}

function checkFraction(fraction: number): void {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`Test fraction ${fraction} is not allowed; use a number between 0 and 1 (exclusive), e.g. 0.2.`);
}

/**
 * Chooses which of a class's images go to test: testCount(count, fraction) of them, at random from the seed and the
 * class name (so adding a class does not reshuffle the others). Returns the test set as indices into the class's list.
 */
export function stratifiedTestIndices(count: number, fraction: number, seed: number, className: string): Set<number> {
  checkFraction(fraction);
  const order = new Rng(seed, 'split', className).permutation(count);
  return new Set(order.slice(0, testCount(count, fraction)));
}

/**
 * Splits a class's new images when the class already has some with a fixed split (a re-import): the new ones are
 * drawn so that the whole class comes as close as it can to testCount(total, fraction) without moving an old image.
 * With no earlier images this is exactly stratifiedTestIndices.
 */
export function splitNewImages(fresh: number, earlierTrain: number, earlierTest: number, fraction: number, seed: number, className: string): Set<number> {
  checkFraction(fraction);
  const wanted = testCount(fresh + earlierTrain + earlierTest, fraction) - earlierTest;
  const tests = Math.max(0, Math.min(wanted, fresh - (earlierTrain === 0 ? 1 : 0)));
  const order = new Rng(seed, 'split', className).permutation(fresh);
  return new Set(order.slice(0, tests));
}
