import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkComparable, crossCheck, pairedVerdict, readReference, type ReferenceResult } from './cross-check';
import type { Reproduction } from './reproduce';
import { ABLATION_VARIANTS, FULL_MODEL } from './variants';

const dataset = { id: 'd', name: 'd', labels: ['b', 'a', 'C'], train: 30, test: 12 };
const errors = (top1: number) => ({ top1, top5: top1 / 2 });

function reproduction(full: number[], noLrn: number): Reproduction {
  return {
    date: '2026-12-01T00:00:00.000Z',
    codeVersion: 'test',
    backend: 'cpu',
    device: 'CPU',
    preset: 'quick',
    recipe: 'small-data',
    epochs: 5,
    batchSize: 16,
    dataset,
    variants: [
      { variant: FULL_MODEL, runs: full.map((top1, seed) => ({ runId: `r${seed}`, seed, crops: { centre: errors(top1), ten: errors(top1 - 0.01) } })) },
      ...ABLATION_VARIANTS.map((variant) => ({ variant, runs: variant.id === 'no-lrn' ? [{ runId: 'n', seed: 0, crops: { centre: errors(noLrn), ten: errors(noLrn) } }] : [] })),
    ],
    towers: [],
    retrieval: [],
  };
}

function reference(full: number[], extra: ReferenceResult['runs'] = []): ReferenceResult {
  return {
    reference: 'pytorch',
    torch: '1.13',
    device: 'CPU',
    date: '2026-12-01T00:00:00Z',
    preset: 'quick',
    recipe: 'small-data',
    epochs: 5,
    batchSize: 16,
    dataset: { labels: ['C', 'a', 'b'], train: 30, test: 12 },
    runs: [...full.map((top1, seed) => ({ variant: 'full', seed, crops: { centre: errors(top1), ten: errors(top1) } })), ...extra],
  };
}

function writeJson(value: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-xcheck-')), 'reference.json');
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

describe('cross-check against a reference', () => {
  it('pairs seed i with seed i and gives the mean paired difference, its standard error and 95 % interval', () => {
    // Ours 0.30, 0.34, 0.32, 0.36, 0.33, 0.31 (seeds 0-5); theirs 0.29, 0.31, 0.32, 0.33, 0.30 (seeds 0-4; seed 5 has no pair).
    const check = crossCheck(reproduction([0.3, 0.34, 0.32, 0.36, 0.33, 0.31], 0.4), reference([0.29, 0.31, 0.32, 0.33, 0.3]), 'ref.json');
    expect(check.pairs.map((p) => p.seed)).toEqual([0, 1, 2, 3, 4]);
    const differences = [1, 3, 0, 3, 3]; // points
    check.pairs.forEach((p, i) => expect(p.differencePoints).toBeCloseTo(differences[i]!, 10));
    expect(check.differencePoints).toBeCloseTo(2, 10);
    // sd of 1, 3, 0, 3, 3 about 2: sqrt((1 + 1 + 4 + 1 + 1) / 4) = sqrt(2); SE sqrt(2 / 5); t(0.975, 4) = 2.7764.
    expect(check.standardErrorPoints).toBeCloseTo(Math.sqrt(2 / 5), 10);
    expect(check.interval!.low).toBeCloseTo(2 - 2.77645 * Math.sqrt(2 / 5), 4);
    expect(check.interval!.high).toBeCloseTo(2 + 2.77645 * Math.sqrt(2 / 5), 4);
    expect(check.verdict).toBe('cannot tell');
    expect(check.reading).toContain('an interval that crosses ±2');
    expect(check.ours.map((r) => r.seed)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(check.theirs.map((r) => r.top1)).toEqual([0.29, 0.31, 0.32, 0.33, 0.3]);
  });

  it('says within, outside or cannot tell from where the interval lies against the tolerance', () => {
    // Mean 0, sd 1: half-width 2.7764 * 1 / sqrt(5) = 1.24, inside ±2.
    expect(pairedVerdict([-1, 1, 0, -1, 1].map((d) => d * Math.sqrt(2 / 4) * Math.sqrt(2)), 2).verdict).toBe('within');
    expect(pairedVerdict([1.5, 1.6, 1.4, 1.5, 1.5], 2).verdict).toBe('within');
    // Mean -3.5, small spread: all of it below -2, and above +2 the same way.
    expect(pairedVerdict([-3.4, -3.6, -3.5, -3.3, -3.7], 2).verdict).toBe('outside');
    expect(pairedVerdict([3.4, 3.6, 3.5, 3.3, 3.7], 2)).toMatchObject({ verdict: 'outside', reading: expect.stringContaining('all of it beyond ±2') as unknown });
    // A mean inside the tolerance whose interval reaches past it cannot tell; nor can one past it whose interval reaches back.
    expect(pairedVerdict([1.5, -1, 4, 0.5, 2.5], 2).verdict).toBe('cannot tell');
    expect(pairedVerdict([2.5, 0, 5, 1.5, 3.5], 2).verdict).toBe('cannot tell');
    // An interval that ends exactly at the tolerance is within it: 5 identical differences of 2.
    expect(pairedVerdict([2, 2, 2, 2, 2], 2).verdict).toBe('within');
    expect(pairedVerdict([2.1, 2.1, 2.1, 2.1, 2.1], 2).verdict).toBe('outside');
  });

  it('cannot tell with fewer than 5 paired seeds, however far apart or close the means are', () => {
    const far = pairedVerdict([10, 10.1, 9.9, 10], 2);
    expect(far).toMatchObject({ verdict: 'cannot tell' });
    expect(far.reading).toContain('4 paired seeds (seed i on both sides), a verdict needs at least 5');
    expect(pairedVerdict([0], 2)).toMatchObject({ verdict: 'cannot tell', differencePoints: 0, interval: null });
    expect(pairedVerdict([], 2).reading).toContain('0 paired seeds');
    // Seeds that do not pair do not count: ours 0-4, theirs 5-9.
    const unpaired = crossCheck(reproduction([0.3, 0.3, 0.3, 0.3, 0.3], 0.4), { ...reference([]), runs: [5, 6, 7, 8, 9].map((seed) => ({ variant: 'full', seed, crops: { centre: errors(0.3), ten: errors(0.3) } })) }, 'r');
    expect(unpaired).toMatchObject({ verdict: 'cannot tell', pairs: [] });
  });

  it('pairs every variant both sides trained, and only those', () => {
    const check = crossCheck(reproduction([0.3, 0.32], 0.4), reference([0.3], [{ variant: 'no-lrn', seed: 0, crops: { centre: errors(0.38), ten: errors(0.38) } }, { variant: 'no-dropout', seed: 0, crops: { centre: errors(0.5), ten: errors(0.5) } }]), 'r');
    expect(check.variants.map((v) => v.id)).toEqual(['full', 'no-lrn']);
    expect(check.variants[0]!.ours.top1).toBeCloseTo(0.31, 10);
    expect(check.variants[1]).toMatchObject({ ours: { top1: 0.4 }, theirs: { top1: 0.38 } });
  });

  it('refuses a reference trained differently, naming what differs and both values', () => {
    const ours = reproduction([0.3], 0.4);
    expect(() => checkComparable(ours, { ...reference([0.3]), epochs: 6 }, 'ref.json')).toThrow("The reference 'ref.json' was trained with epochs 6, this reproduction with 5");
    expect(() => checkComparable(ours, { ...reference([0.3]), preset: 'paper' }, 'ref.json')).toThrow('preset "paper", this reproduction with "quick"');
    expect(() => checkComparable(ours, { ...reference([0.3]), batchSize: 128 }, 'ref.json')).toThrow('batch size 128');
    expect(() => checkComparable(ours, { ...reference([0.3]), dataset: { labels: ['a', 'b', 'c'], train: 30, test: 12 } }, 'ref.json')).toThrow('classes ["a","b","c"]');
    expect(() => checkComparable(ours, { ...reference([0.3]), dataset: { labels: ['a', 'b', 'C'], train: 29, test: 12 } }, 'ref.json')).toThrow('training images 29, this reproduction with 30');
    expect(() => checkComparable(ours, reference([0.3]), 'ref.json')).not.toThrow();
  });

  it('reads a reference file, or says which file and field are wrong', () => {
    expect(readReference(writeJson(reference([0.3]))).runs).toHaveLength(1);
    const notJson = writeJson('{"reference": ');
    expect(() => readReference(notJson)).toThrow(`The reference '${notJson}' is not JSON`);
    const bad = reference([0.3]);
    (bad.runs[0]!.crops.centre as { top1: unknown }).top1 = 'low';
    const badFile = writeJson(bad);
    expect(() => readReference(badFile)).toThrow(`The reference '${badFile}' has a bad 'runs.0.crops.centre.top1'`);
    const noFull = writeJson({ ...reference([]), runs: [{ variant: 'no-lrn', seed: 0, crops: { centre: errors(0.3), ten: errors(0.3) } }] });
    expect(() => readReference(noFull)).toThrow('has no run of the full model');
    expect(() => readReference('/nonexistent/reference.json')).toThrow("Cannot read the reference '/nonexistent/reference.json'");
  });
});
