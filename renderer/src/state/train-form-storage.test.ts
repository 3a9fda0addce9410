// Checks that the Train form's stored values come back only when they are valid, field by field.
import { describe, expect, it } from 'vitest';
import { readStoredForm } from './train-form-storage';

const good = { datasetId: 'photos-1a2b3c4d', preset: 'quick', recipe: 'paper', epochs: 3, batchSize: 6, learningRate: 0.001, patience: 4, seed: 9, name: 'try', ablations: { oneTower: true, noLrn: false, nonOverlappingPooling: false, noDropout: false, noPcaNoise: true } };

describe('readStoredForm', () => {
  it('gives back every valid field', () => {
    expect(readStoredForm(JSON.stringify(good))).toEqual(good);
  });

  it('leaves out what is missing, of the wrong kind or out of range, and survives text that is not JSON', () => {
    expect(readStoredForm(null)).toEqual({});
    expect(readStoredForm('{not json')).toEqual({});
    expect(readStoredForm('[1, 2]')).toEqual({});
    const bad = { ...good, preset: 'huge', recipe: 7, epochs: 0, batchSize: 4097, learningRate: 0, patience: 1.5, seed: -1, name: 'x'.repeat(201), ablations: { oneTower: 'yes' } };
    expect(readStoredForm(JSON.stringify(bad))).toEqual({ datasetId: good.datasetId });
    expect(readStoredForm(JSON.stringify({ ...good, learningRate: 11, epochs: 10_001 }))).not.toHaveProperty('learningRate');
  });
});
