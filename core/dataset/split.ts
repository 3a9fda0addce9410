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
  return splitNewUnits(new Array<number>(fresh).fill(1), earlierTrain, earlierTest, fraction, seed, className);
}

/**
 * The same for new images that come in units that must stay together (a group of duplicates goes to one split, so
 * that no picture is both trained on and tested): `sizes[u]` images in unit u. Units are visited in a seeded order
 * and each goes to test while it fits in what the class still needs, so the class comes as close to
 * testCount(total, fraction) as whole units allow, and keeps at least one training image. With units of one image
 * this is splitNewImages. Returns the test units' indices.
 */
export function splitNewUnits(sizes: number[], earlierTrain: number, earlierTest: number, fraction: number, seed: number, className: string): Set<number> {
  checkFraction(fraction);
  const fresh = sizes.reduce((sum, size) => sum + size, 0);
  const wanted = testCount(fresh + earlierTrain + earlierTest, fraction) - earlierTest;
  let room = Math.max(0, Math.min(wanted, fresh - (earlierTrain === 0 ? 1 : 0)));
  const test = new Set<number>();
  for (const unit of new Rng(seed, 'split', className).permutation(sizes.length)) {
    if (room === 0) break;
    if (sizes[unit]! <= room) {
      test.add(unit);
      room -= sizes[unit]!;
    }
  }
  return test;
}
