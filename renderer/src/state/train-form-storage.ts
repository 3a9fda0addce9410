// The Train form's values as the page keeps them across reloads (localStorage): written whole, read back field by
// field, each only if it is of the right kind and range (the stored text may come from an older page, or be edited).
import type { Ablations, Preset, RecipeName } from '../../../core/api/contract';
import { ABLATION_NAMES, LIMITS, PRESETS, RECIPE_NAMES } from '../../../core/vocabulary';

export const STORAGE_KEY = 'alexnet-workbench.train-form';

export interface FormValues {
  datasetId: string;
  preset: Preset;
  recipe: RecipeName;
  epochs: number | null;
  batchSize: number | null;
  learningRate: number | null;
  patience: number | null;
  seed: number | null;
  name: string;
  ablations: Ablations;
}

const within = (value: unknown, range: { min: number; max: number }, whole = true): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= range.min && value <= range.max && (!whole || Number.isInteger(value));

/** The stored values that are still valid; the rest are left out (the form keeps its own). */
export function readStoredForm(text: string | null): Partial<FormValues> {
  if (text === null) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const out: Partial<FormValues> = {};
  if (typeof r.datasetId === 'string') out.datasetId = r.datasetId;
  if ((PRESETS as readonly unknown[]).includes(r.preset)) out.preset = r.preset as Preset;
  if ((RECIPE_NAMES as readonly unknown[]).includes(r.recipe)) out.recipe = r.recipe as RecipeName;
  if (within(r.epochs, LIMITS.epochs)) out.epochs = r.epochs;
  if (within(r.batchSize, LIMITS.batchSize)) out.batchSize = r.batchSize;
  if (within(r.learningRate, { min: Number.MIN_VALUE, max: LIMITS.learningRate.max }, false)) out.learningRate = r.learningRate;
  if (within(r.patience, LIMITS.patience)) out.patience = r.patience;
  if (within(r.seed, LIMITS.seed)) out.seed = r.seed;
  if (typeof r.name === 'string' && r.name.length <= 200) out.name = r.name;
  const ablations = r.ablations as Record<string, unknown> | null | undefined;
  if (typeof ablations === 'object' && ablations !== null && ABLATION_NAMES.every((k) => typeof ablations[k] === 'boolean')) {
    out.ablations = Object.fromEntries(ABLATION_NAMES.map((k) => [k, ablations[k]])) as unknown as Ablations;
  }
  return out;
}
