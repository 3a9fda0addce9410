// Checks that reports of older imports read as today's, and the warnings a report gives, word for word.
import { describe, expect, it } from 'vitest';
import { currentReport, datasetWarnings, labelConflicts } from './import-report';
import type { ImportReport } from './types';

const report = (over: Partial<ImportReport>): ImportReport => ({
  source: '/data',
  split: { kind: 'seeded', testFraction: 0.2, seed: 0 },
  imported: 10,
  decoded: 10,
  reused: 0,
  skipped: [],
  conversions: [],
  emptyClasses: [],
  duplicates: [],
  leakage: [],
  smallImages: [],
  excluded: [],
  counts: [
    { label: 'cats', train: 4, test: 1 },
    { label: 'dogs', train: 4, test: 1 },
  ],
  seconds: 1,
  ...over,
});

describe('currentReport', () => {
  it('reads the duplicate groups of older reports (arrays of identical files) with their classes', () => {
    const old = { ...report({}), duplicates: [['train/cats/a.jpg', 'test/dogs/a.jpg']], smallImages: undefined, excluded: undefined } as unknown as ImportReport;
    const upgraded = currentReport({ ...old, split: { kind: 'folders' } });
    expect(upgraded.duplicates).toEqual([{ kind: 'files', images: [{ path: 'train/cats/a.jpg', className: 'cats' }, { path: 'test/dogs/a.jpg', className: 'dogs' }] }]);
    expect([upgraded.smallImages, upgraded.excluded]).toEqual([[], []]);
    expect(labelConflicts(upgraded)).toHaveLength(1);
    expect(currentReport({ ...old, duplicates: [['cats/a.jpg', 'cats/b.jpg']] } as unknown as ImportReport).duplicates[0]!.images.map((i) => i.className)).toEqual(['cats', 'cats']);
    const today = report({ duplicates: [{ kind: 'near', images: [{ path: 'cats/a.jpg', className: 'cats' }, { path: 'cats/b.jpg', className: 'cats' }] }] });
    expect(currentReport(today)).toEqual(today);
  });
});

describe('datasetWarnings', () => {
  it('says nothing of a clean dataset, nor of classes without test images when nothing is tested', () => {
    expect(datasetWarnings(report({}))).toEqual([]);
    expect(datasetWarnings(report({ counts: [{ label: 'cats', train: 3, test: 0 }, { label: 'dogs', train: 3, test: 0 }] }))).toEqual([]);
  });

  it('names the classes without test images, the leaks and the conflicts, singular and plural', () => {
    const untested = report({ counts: [{ label: 'cats', train: 3, test: 1 }, { label: 'dogs', train: 3, test: 0 }, { label: 'owls', train: 2, test: 0 }, { label: 'none', train: 0, test: 0 }] });
    expect(datasetWarnings(untested)).toEqual(["2 classes have no test images ('dogs', 'owls'): their error is not measured."]);
    expect(datasetWarnings(report({ leakage: [['cats/a.jpg', 'cats/b.jpg']] }))).toEqual(['1 pair of duplicates is split between train and test: the test error is measured partly on training pictures.']);
    const conflict = (n: number) => ({ kind: 'files' as const, images: Array.from({ length: n }, (_, i) => ({ path: `c${i}/x.jpg`, className: `c${i}` })) });
    expect(datasetWarnings(report({ duplicates: [conflict(5), conflict(2), { kind: 'pixels', images: [{ path: 'a/1', className: 'a' }, { path: 'a/2', className: 'a' }] }] }))).toEqual([
      "2 pictures are in more than one class (label conflicts), e.g. 'c0/x.jpg' (c0), 'c1/x.jpg' (c1), 'c2/x.jpg' (c2) and 2 more: leave them out or move each to its right class.",
    ]);
  });
});
