// The Train form's checks, field by field: each problem in words, to be shown at its own field. The same ranges as
// the host's request schema (core/vocabulary.ts' LIMITS), so that what the form lets through the host accepts.
import type { TrainRequest } from '../../../core/api/contract';
import { LIMITS } from '../../../core/vocabulary';
import type { FormValues } from './train-form-storage';

export type CheckedField = 'datasetId' | 'epochs' | 'batchSize' | 'learningRate' | 'patience' | 'seed' | 'name';
export type FieldErrors = Partial<Record<CheckedField, string>>;

const count = (n: number) => n.toLocaleString('en');

const NUMBERS: { field: Exclude<CheckedField, 'datasetId' | 'name'>; label: string; min: number; max: number; whole: boolean }[] = [
  { field: 'epochs', label: 'Epochs', min: LIMITS.epochs.min, max: LIMITS.epochs.max, whole: true },
  { field: 'batchSize', label: 'Batch size', min: LIMITS.batchSize.min, max: LIMITS.batchSize.max, whole: true },
  { field: 'learningRate', label: 'Learning rate', min: 0, max: LIMITS.learningRate.max, whole: false },
  { field: 'patience', label: 'Patience', min: LIMITS.patience.min, max: LIMITS.patience.max, whole: true },
  { field: 'seed', label: 'Seed', min: LIMITS.seed.min, max: LIMITS.seed.max, whole: true },
];

/** Every problem of the form, by field (empty when it may be sent). */
export function fieldErrors(values: FormValues): FieldErrors {
  const errors: FieldErrors = {};
  if (values.datasetId === '') errors.datasetId = 'Choose a dataset to train on (import one on the Datasets page first).';
  for (const { field, label, min, max, whole } of NUMBERS) {
    const value = values[field];
    if (value === null || value === undefined || Number.isNaN(value)) {
      errors[field] = `${label} is empty; give a value.`;
      continue;
    }
    const outside = whole ? !Number.isInteger(value) || value < min || value > max : !(value > min && value <= max);
    if (outside) errors[field] = whole ? `${label} ${value} is not allowed; use a whole number from ${count(min)} to ${count(max)}.` : `${label} ${value} is not allowed; use a number above ${min} and at most ${max}.`;
  }
  const name = values.name.trim();
  // eslint-disable-next-line no-control-regex
  if (name.length > 200 || /[\u0000-\u001f\u007f]/.test(name)) errors.name = 'The name may have up to 200 characters, without line breaks or control characters.';
  return errors;
}

/** The request of a form without problems (fieldErrors is empty). */
export function trainRequest(values: FormValues): TrainRequest {
  const name = values.name.trim();
  return {
    datasetId: values.datasetId,
    preset: values.preset,
    recipe: values.recipe,
    epochs: values.epochs!,
    batchSize: values.batchSize!,
    learningRate: values.learningRate!,
    patience: values.patience!,
    seed: values.seed!,
    ablations: { ...values.ablations },
    ...(name === '' ? {} : { name }),
  };
}
