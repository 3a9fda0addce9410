// Checks Figure 3's baselines against independent computations: the random-kernel expectation against a seeded
// Monte-Carlo, the permutation p-value against an exact enumeration of every deal, the verdict on towers built to
// differ and on towers that do not, and conv1 at step 0 against the model AlexNet.create builds.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { AlexNet } from '../model/alexnet';
import { applyAblations, quickConfig, type ModelConfig } from '../model/config';
import { Rng } from '../random/rng';
import { colourBaseline, formatP, initialConv1, randomKernelScore, randomTowerScore, runInitialConv1, splitTest } from './colour-baseline';
import { kernelScores, type KernelShape } from './kernels';

/** `count` side x side x 3 kernels of i.i.d. values (their order does not matter then), HWIO. */
function iid(side: number, count: number, draw: () => number): { w: Float64Array; shape: KernelShape } {
  const w = new Float64Array(side * side * 3 * count);
  for (let i = 0; i < w.length; i++) w[i] = draw();
  return { w, shape: [side, side, 3, count] };
}

/** HWIO weights of `count` side x side x 3 kernels, kernel k's value at (y, x, c) given by f. */
function kernels(side: number, count: number, f: (k: number, y: number, x: number, c: number) => number): { w: Float64Array; shape: KernelShape } {
  const shape: KernelShape = [side, side, 3, count];
  const w = new Float64Array(side * side * 3 * count);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) for (let c = 0; c < 3; c++) for (let k = 0; k < count; k++) w[((y * side + x) * 3 + c) * count + k] = f(k, y, x, c);
  return { w, shape };
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
function sd(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

describe('the random-kernel expectation', () => {
  it('is Beta(n, (n - 1) / 2): 2n / (3n - 1) and its sd, as 20,000 seeded Gaussian kernels score, for 11x11 and 3x3', () => {
    for (const side of [11, 3]) {
      const rng = new Rng(1, 'gaussian', side);
      const count = 20_000;
      const { w, shape } = iid(side, count, () => rng.normal(0, 0.01));
      const scores = kernelScores(w, shape);
      const n = side * side;
      const expected = randomKernelScore(n);
      expect(expected.mean).toBeCloseTo((2 * n) / (3 * n - 1), 14);
      // Four standard errors of the Monte-Carlo mean: 0.001 for 11x11, where 2/3 itself is 0.0018 off.
      const standardError = expected.sd / Math.sqrt(count);
      expect(Math.abs(mean(scores) - expected.mean), `${side}x${side}`).toBeLessThan(4 * standardError);
      expect(sd(scores) / expected.sd, `${side}x${side}`).toBeGreaterThan(0.96);
      expect(sd(scores) / expected.sd, `${side}x${side}`).toBeLessThan(1.04);
      if (side === 11) {
        expect(expected.mean).toBeCloseTo(0.6685, 4);
        // Towers of 48: the spread of their means is one kernel's sd / sqrt(48).
        const towerMeans = Array.from({ length: Math.floor(count / 48) }, (_, t) => mean(scores.slice(t * 48, (t + 1) * 48)));
        const tower = randomTowerScore(n, 48);
        expect(tower.mean).toBe(expected.mean);
        expect(sd(towerMeans) / tower.sd).toBeGreaterThan(0.85);
        expect(sd(towerMeans) / tower.sd).toBeLessThan(1.15);
      }
    }
  });

  it("holds for Kaiming-uniform kernels to well within a tower's sd, though their values are not Gaussian", () => {
    const rng = new Rng(2, 'uniform');
    const count = 20_000;
    const { w, shape } = iid(11, count, () => rng.uniform() * 2 - 1);
    const scores = kernelScores(w, shape);
    const tower = randomTowerScore(121, 48);
    expect(Math.abs(mean(scores) - tower.mean)).toBeLessThan(0.25 * tower.sd);
  });
});

describe('the split between towers', () => {
  /** The exact two-sided p over every deal of the kernels into towers of the given sizes, in whole hundredths. */
  function exactP(a: number[], b: number[]): number {
    const pooled = [...a, ...b];
    const observed = Math.abs(a.length * b.reduce((s, x) => s + x, 0) - b.length * a.reduce((s, x) => s + x, 0));
    const total = pooled.reduce((s, x) => s + x, 0);
    let deals = 0;
    let reached = 0;
    for (let mask = 0; mask < 1 << pooled.length; mask++) {
      const members = pooled.filter((_, i) => mask & (1 << i));
      if (members.length !== a.length) continue;
      const sumA = members.reduce((s, x) => s + x, 0);
      deals++;
      // |mean(b) - mean(a)| scaled by |a| |b|, in integers: ties are exact.
      if (Math.abs(a.length * (total - sumA) - b.length * sumA) >= observed) reached++;
    }
    expect(deals).toBe(70);
    return reached / deals;
  }

  it('has the p-value of an exact enumeration of all 70 deals of 8 kernels into towers of 4, whichever tower is higher', () => {
    // Scores in hundredths, with ties among the deals' splits.
    const cases: [number[], number[]][] = [
      [[60, 70, 65, 80], [70, 75, 90, 85]],
      [[90, 72, 81, 66], [60, 64, 71, 70]],
      [[50, 55, 60, 65], [52, 57, 62, 67]],
    ];
    for (const [a, b] of cases) {
      const exact = exactP(a, b);
      const { difference, p } = splitTest(
        a.map((x) => x / 100),
        b.map((x) => x / 100),
        40_000,
        3,
      );
      expect(difference).toBeCloseTo((mean(b) - mean(a)) / 100, 12);
      // Four binomial standard errors of 40,000 deals: at most 0.01.
      expect(Math.abs(p - exact), `${a} | ${b}: exact ${exact}`).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / 40_000) + 1e-4);
      expect(exact).toBeGreaterThan(0.1);
    }
  });

  it('counts the observed split itself: equal scores give p = 1, and p never falls below 1 / (1 + shuffles)', () => {
    expect(splitTest([0.3, 0.3, 0.3], [0.3, 0.3, 0.3], 500).p).toBe(1);
    const far = splitTest(Array.from({ length: 40 }, (_, i) => i / 1000), Array.from({ length: 40 }, (_, i) => 0.9 + i / 1000), 999);
    expect(far.p).toBe(1 / 1000);
    expect(far.difference).toBeCloseTo(0.9, 12);
  });

  it('refuses what it cannot test', () => {
    expect(() => splitTest([], [0.5])).toThrow(/Both towers need kernels to compare; got 0 and 1/);
    expect(() => splitTest([0.5], [0.5], 0)).toThrow(/0 permutations is not allowed/);
  });
});

describe('the verdict', () => {
  const pixels = 121;
  /** Grey kernels (the same pattern in R, G and B, a little colour noise) or opponent ones (channels cancel per pixel). */
  function tower(kind: 'grey' | 'opponent' | 'random', count: number, rng: Rng): Float64Array {
    const values = Array.from({ length: pixels * 3 * count }, () => rng.normal());
    return kernels(11, count, (k, y, x, c) => {
      const at = (channel: number) => values[((y * 11 + x) * 3 + channel) * count + k]!;
      if (kind === 'grey') return at(0) + 0.05 * at(c);
      if (kind === 'opponent') return at(c) - (at(0) + at(1) + at(2)) / 3;
      return at(c);
    }).w;
  }
  const shape: KernelShape = [11, 11, 3, 48];

  it('finds a grey tower and an opponent-colour tower specialised, whichever is tower a', () => {
    const rng = new Rng(4, 'built');
    const grey = tower('grey', 48, rng);
    const opponent = tower('opponent', 48, rng);
    const result = colourBaseline(
      [
        { tower: 'a', weights: grey },
        { tower: 'b', weights: opponent },
      ],
      shape,
      { permutations: 999 },
    );
    expect(result.specialised).toBe(true);
    expect(result.split).toMatchObject({ moreSpecific: 'b', p: 1 / 1000, permutations: 999, significant: true });
    expect(result.split!.difference).toBeGreaterThan(0.9);
    expect(result.towers.map((t) => t.againstRandom)).toEqual(['below', 'above']);
    expect(result.towers.map((t) => t.initialScore)).toEqual([null, null]);
    expect(result.verdict).toMatch(/^tower b is more colour-specific than tower a: the towers differ by 0\.9\d\d \(p = 0\.001, permutation test\); tower a scores 0\.0\d\d, below the random-kernel range \(0\.669 ± 0\.010\), and tower b 1\.000, above it$/);
    const swapped = colourBaseline(
      [
        { tower: 'a', weights: opponent },
        { tower: 'b', weights: grey },
      ],
      shape,
      { permutations: 999 },
    );
    expect(swapped.split!.moreSpecific).toBe('a');
    expect(swapped.split!.difference).toBeCloseTo(-result.split!.difference, 12);
    expect(swapped.verdict).toMatch(/^tower a is more colour-specific than tower b: /);
  });

  it('finds no specialisation between towers of i.i.d. random kernels, with p-values spread as uniform ones are', () => {
    const ps: number[] = [];
    for (let pair = 0; pair < 40; pair++) {
      const rng = new Rng(5, 'null', pair);
      const a = tower('random', 48, rng);
      const b = tower('random', 48, rng);
      const result = colourBaseline(
        [
          { tower: 'a', weights: a, initial: a },
          { tower: 'b', weights: b, initial: b },
        ],
        shape,
        { permutations: 999, seed: pair },
      );
      ps.push(result.split!.p);
      expect(result.specialised).toBe(result.split!.p < 0.05);
      result.towers.forEach((t) => expect(t.initialScore).toBe(t.score));
      if (pair === 0) {
        expect(result.towers.map((t) => t.againstRandom)).toEqual(['within', 'within']);
        expect(result.verdict).toMatch(/^no specialisation detectable: the towers differ by 0\.0\d\d \(p = 0\.\d+, permutation test\); both score within the random-kernel range \(0\.669 ± 0\.010\)$/);
      }
    }
    // Uniform p-values: a mean of 0.5 (sd 0.046 over 40) and about 2 of 40 below 0.05.
    expect(mean(ps)).toBeGreaterThan(0.35);
    expect(mean(ps)).toBeLessThan(0.65);
    expect(ps.filter((p) => p < 0.05).length).toBeLessThanOrEqual(6);
  });

  it('reads one tower against random kernels only, and refuses three', () => {
    const rng = new Rng(6, 'one');
    const result = colourBaseline([{ tower: 'a', weights: tower('grey', 48, rng) }], shape);
    expect(result.split).toBeNull();
    expect(result.specialised).toBe(false);
    expect(result.verdict).toMatch(/^one tower, so no split between towers to test; its 48 kernels score 0\.0\d\d, below the random-kernel range \(0\.669 ± 0\.010\)$/);
    const w = tower('random', 48, rng);
    expect(() => colourBaseline(['a', 'b', 'c'].map((name) => ({ tower: name, weights: w })), shape)).toThrow(/one or two towers; got 3/);
  });

  it('writes p as the threshold reads it', () => {
    expect(formatP(0.00009999)).toBe('p < 0.001');
    expect(formatP(0.0123)).toBe('p = 0.012');
    expect(formatP(500 / 10_001)).toBe('p < 0.05');
    expect(formatP(0.05)).toBe('p = 0.050');
    expect(formatP(0.4123)).toBe('p = 0.41');
  });
});

describe('the initialisation baseline', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it("regenerates conv1 at step 0 exactly as AlexNet.create (the trainer's start) draws it, for every scheme", async () => {
    const cases: [ModelConfig, 'paper' | 'he-normal' | 'kaiming-uniform'][] = [
      [quickConfig(3), 'he-normal'],
      // Kaiming-uniform draws conv1/a's biases between the towers' kernels.
      [quickConfig(3), 'kaiming-uniform'],
      // 13 kernels a tower: an odd count of normals, so tower b starts on Box-Muller's spare deviate.
      [{ ...quickConfig(3), convWidths: [26, 64, 96, 96, 64] }, 'paper'],
      [applyAblations(quickConfig(3), { oneTower: true }), 'paper'],
    ];
    for (const [config, scheme] of cases) {
      const model = AlexNet.create(config, scheme, 11);
      try {
        const regenerated = initialConv1(config, scheme, 11);
        const names = config.towers === 2 ? ['conv1/a/kernel', 'conv1/b/kernel'] : ['conv1/a/kernel'];
        expect(regenerated).toHaveLength(names.length);
        for (const [t, name] of names.entries()) expect(Array.from(regenerated[t]!), `${scheme} ${name}`).toEqual(Array.from(await model.parameter(name).data()));
        expect(runInitialConv1({ config: { model: config, recipe: { initialisation: scheme } }, seed: 11 }, [])).toEqual(regenerated);
      } finally {
        model.dispose();
      }
    }
    expect(runInitialConv1({ config: { model: quickConfig(3), recipe: {} }, seed: 11 }, [])).toBeUndefined();
  });

  it("takes a run trained elsewhere (an imported job) at its epoch-0 snapshot, not at the workbench's draws", () => {
    const config = quickConfig(3);
    const shape = [11, 11, 3, 12];
    const towers = [0, 1].map((t) => Float32Array.from({ length: 11 * 11 * 3 * 12 }, (_, i) => t + i / 1e4));
    const snapshot = (epoch: number, step: number) => ({ epoch, step, shape, data: Buffer.concat(towers.map((w) => Buffer.from(w.buffer.slice(0)).map((b) => (epoch === 0 ? b : 0)))) });
    const run = { config: { model: config, recipe: { initialisation: 'he-normal' }, trainedBy: { engine: 'pytorch-ddp' } }, seed: 11 };
    const initial = runInitialConv1(run, [snapshot(1, 6), snapshot(0, 0), snapshot(2, 12)]);
    expect(initial?.map((t) => Array.from(t))).toEqual(towers.map((t) => Array.from(t)));
    expect(runInitialConv1(run, [snapshot(1, 6)])).toBeUndefined();
  });
});

describe('the random-kernel expectation', () => {
  it('takes kernels of one pixel or more and towers of one kernel or more, in whole numbers', () => {
    // One pixel: Beta(1, 0), the formula's edge, all of its weight at 1.
    expect(randomKernelScore(1)).toEqual({ mean: 1, sd: 0 });
    expect(randomTowerScore(121, 1)).toEqual(randomKernelScore(121));
    expect(() => randomKernelScore(0)).toThrow('A kernel of 0 pixels is not allowed; use a whole number of at least 1.');
    expect(() => randomKernelScore(2.5)).toThrow('A kernel of 2.5 pixels is not allowed');
    expect(() => randomTowerScore(121, 0)).toThrow('A tower of 0 kernels is not allowed; use a whole number of at least 1.');
    expect(() => randomTowerScore(121, 1.5)).toThrow('A tower of 1.5 kernels is not allowed');
  });
});
