// The form's checks against the host's own request schema: every value the form lets through the schema accepts,
// and every value the schema refuses the form flags at its field, with the range in words.
import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../../core/api/schemas';
import { NO_ABLATIONS } from '../../../core/vocabulary';
import { fieldErrors, trainRequest, type CheckedField } from './train-form-checks';
import type { FormValues } from './train-form-storage';

const GOOD: FormValues = { datasetId: 'ds1', preset: 'quick', recipe: 'small-data', epochs: 3, batchSize: 16, learningRate: 0.001, patience: 4, seed: 7, name: ' my run ', ablations: { ...NO_ABLATIONS } };

const accepted = (values: FormValues) => {
  try {
    parseRequest('train:start', trainRequest(values));
    return true;
  } catch {
    return false;
  }
};

describe('fieldErrors', () => {
  it('passes a good form, whose request the host accepts with the name trimmed', () => {
    expect(fieldErrors(GOOD)).toEqual({});
    expect(trainRequest(GOOD).name).toBe('my run');
    expect(trainRequest({ ...GOOD, name: '  ' })).not.toHaveProperty('name');
    expect(accepted(GOOD)).toBe(true);
  });

  const cases: [CheckedField, Partial<FormValues>, RegExp][] = [
    ['datasetId', { datasetId: '' }, /Choose a dataset/],
    ['epochs', { epochs: null }, /^Epochs is empty/],
    ['epochs', { epochs: 0 }, /^Epochs 0 is not allowed; use a whole number from 1 to 10,000\.$/],
    ['epochs', { epochs: 10_001 }, /from 1 to 10,000/],
    ['epochs', { epochs: 2.5 }, /^Epochs 2.5 is not allowed/],
    ['batchSize', { batchSize: 4097 }, /^Batch size 4097 is not allowed; use a whole number from 1 to 4,096\.$/],
    ['learningRate', { learningRate: 0 }, /^Learning rate 0 is not allowed; use a number above 0 and at most 10\.$/],
    ['learningRate', { learningRate: 10.5 }, /above 0 and at most 10/],
    ['learningRate', { learningRate: Number.NaN }, /^Learning rate is empty/],
    ['patience', { patience: 0 }, /^Patience 0 is not allowed/],
    ['seed', { seed: -1 }, /^Seed -1 is not allowed; use a whole number from 0 to 2,147,483,647\.$/],
    ['seed', { seed: 2 ** 31 }, /^Seed 2147483648/],
    ['name', { name: 'a\nb' }, /without line breaks/],
    ['name', { name: 'x'.repeat(201) }, /up to 200 characters/],
  ];
  it.each(cases)('flags %s at its own field only, as the host would refuse it (%o)', (field, change, message) => {
    const values = { ...GOOD, ...change };
    const errors = fieldErrors(values);
    expect(Object.keys(errors)).toEqual([field]);
    expect(errors[field]).toMatch(message);
    if (field !== 'datasetId') expect(accepted(values)).toBe(false);
  });

  it('lets through the ends of every range, which the host accepts', () => {
    const edges: Partial<FormValues>[] = [{ epochs: 1 }, { epochs: 10_000 }, { batchSize: 1 }, { batchSize: 4096 }, { learningRate: 10 }, { learningRate: 1e-9 }, { patience: 1000 }, { seed: 0 }, { seed: 2 ** 31 - 1 }, { name: 'x'.repeat(200) }];
    for (const change of edges) {
      const values = { ...GOOD, ...change };
      expect(fieldErrors(values)).toEqual({});
      expect(accepted(values)).toBe(true);
    }
  });

  it('flags every problem at once', () => {
    expect(Object.keys(fieldErrors({ ...GOOD, datasetId: '', epochs: 0, seed: null })).sort()).toEqual(['datasetId', 'epochs', 'seed']);
  });
});
