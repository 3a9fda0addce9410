// Checks the seeded, stratified split: its sizes against the formula, its reproducibility and its re-import rule.
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { splitNewImages, splitNewUnits, stratifiedTestIndices, testCount } from './split';

describe('testCount', () => {
  it('is round(n x fraction), leaving at least one training image', () => {
    const table: [number, number, number][] = [
      [0, 0.2, 0], [1, 0.2, 0], [1, 0.9, 0], [2, 0.5, 1], [2, 0.9, 1], [3, 0.2, 1], [10, 0.2, 2], [10, 0.25, 3], [10, 0.24, 2], [7, 0.3, 2], [100, 0.99, 99],
    ];
    for (const [n, f, want] of table) expect(testCount(n, f), `${n} x ${f}`).toBe(want);
  });
});

describe('stratifiedTestIndices', () => {
  it('picks testCount distinct indices below n, the same for the same seed and class', () => {
    for (const n of [1, 2, 5, 17, 100]) {
      const a = stratifiedTestIndices(n, 0.3, 4, 'cats');
      expect(a.size).toBe(testCount(n, 0.3));
      for (const i of a) expect(Number.isInteger(i) && i >= 0 && i < n).toBe(true);
      expect([...stratifiedTestIndices(n, 0.3, 4, 'cats')]).toEqual([...a]);
    }
  });

  it('depends on the seed and on the class name', () => {
    const key = (s: Set<number>) => [...s].sort((x, y) => x - y).join(',');
    const base = key(stratifiedTestIndices(50, 0.2, 1, 'cats'));
    expect([2, 3, 4].map((seed) => key(stratifiedTestIndices(50, 0.2, seed, 'cats'))).some((k) => k !== base)).toBe(true);
    expect(['dogs', 'owls'].map((c) => key(stratifiedTestIndices(50, 0.2, 1, c))).some((k) => k !== base)).toBe(true);
  });

  it('refuses a fraction outside (0, 1)', () => {
    for (const f of [0, 1, 1.5, -1, Number.NaN]) expect(() => stratifiedTestIndices(10, f, 0, 'x')).toThrow(`Test fraction ${f} is not allowed`);
  });
});

describe('splitNewImages', () => {
  it('equals the plain split when the class had no images before', () => {
    expect([...splitNewImages(20, 0, 0, 0.2, 9, 'k')]).toEqual([...stratifiedTestIndices(20, 0.2, 9, 'k')]);
  });

  it('brings the whole class to round(total x fraction) test images without moving earlier ones', () => {
    // 8 train + 2 test before, 10 new at 0.2: the class of 20 wants 4 test images, so 2 of the new ones.
    expect(splitNewImages(10, 8, 2, 0.2, 1, 'k').size).toBe(2);
    // Earlier test images already exceed the target: every new image trains.
    expect(splitNewImages(3, 1, 5, 0.2, 1, 'k').size).toBe(0);
    // A class whose only earlier images are all in test keeps one new image for training.
    expect(splitNewImages(2, 0, 1, 0.9, 1, 'k').size).toBe(1);
    // One new image in a class of one training image: round(2 x 0.5) = 1 test image.
    expect(splitNewImages(1, 1, 0, 0.5, 1, 'k').size).toBe(1);
  });
});

describe('splitNewUnits', () => {
  it('puts whole units in test, as many images as fit in round(total x fraction), and leaves no unit out that would fit', () => {
    const rng = new Rng(7, 'units');
    for (let trial = 0; trial < 200; trial++) {
      const sizes = Array.from({ length: 1 + rng.integer(12) }, () => 1 + (rng.uniform() < 0.3 ? rng.integer(5) : 0));
      const [earlierTrain, earlierTest] = [rng.integer(4), rng.integer(3)];
      const fraction = 0.1 + rng.uniform() * 0.8;
      const test = splitNewUnits(sizes, earlierTrain, earlierTest, fraction, trial, 'k');
      const fresh = sizes.reduce((s, n) => s + n, 0);
      const room = Math.max(0, Math.min(testCount(fresh + earlierTrain + earlierTest, fraction) - earlierTest, fresh - (earlierTrain === 0 ? 1 : 0)));
      const taken = [...test].reduce((s, u) => s + sizes[u]!, 0);
      expect(taken, `trial ${trial}`).toBeLessThanOrEqual(room);
      // Greedy in the seeded order: every unit left in train is larger than the room it would have found.
      for (const u of sizes.keys()) if (!test.has(u)) expect(sizes[u]! > room - taken || taken === room, `trial ${trial} unit ${u}`).toBe(true);
      if (earlierTrain === 0) expect(taken).toBeLessThan(fresh);
    }
  });

  it('with units of one image each is splitNewImages, and a unit too big for the room trains', () => {
    expect([...splitNewUnits([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0, 0, 0.3, 4, 'k')]).toEqual([...splitNewImages(10, 0, 0, 0.3, 4, 'k')]);
    // 10 images at 0.2 want 2 in test: the unit of 5 never fits, two of the single images go.
    const test = splitNewUnits([5, 1, 1, 1, 1, 1], 0, 0, 0.2, 4, 'k');
    expect(test.has(0)).toBe(false);
    expect(test.size).toBe(2);
  });
});
