import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkComparable, crossCheck, readReference, type ReferenceResult } from './cross-check';
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
  it('compares the seed means of the centre-crop top-1 error, in points', () => {
    // ours 0.30, 0.34, 0.32 (mean 0.32); theirs 0.29, 0.31 (mean 0.30): +2.0 points, at the tolerance.
    const check = crossCheck(reproduction([0.3, 0.34, 0.32], 0.4), reference([0.29, 0.31]), 'ref.json');
    expect(check.differencePoints).toBeCloseTo(2.0, 10);
    expect(check.passed).toBe(true);
    expect(check.ours.map((r) => r.seed)).toEqual([0, 1, 2]);
    expect(check.theirs.map((r) => r.top1)).toEqual([0.29, 0.31]);
  });

  it('fails beyond the tolerance in either direction', () => {
    expect(crossCheck(reproduction([0.335], 0.4), reference([0.31]), 'r').passed).toBe(false); // +2.5 points
    expect(crossCheck(reproduction([0.3], 0.4), reference([0.325]), 'r').passed).toBe(false); // -2.5 points
    expect(crossCheck(reproduction([0.3], 0.4), reference([0.315]), 'r').passed).toBe(true); // -1.5 points
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
