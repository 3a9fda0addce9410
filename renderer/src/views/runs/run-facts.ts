// What the Runs view reads out of a run's flattened settings and epochs: the main settings in words, the epoch the
// best figure comes from, and the per-epoch metrics as CSV for download.
import type { EpochPoint, RunDetail } from '../../../../core/api/contract';

type Settings = RunDetail['settings'];

/** The settings a reader looks for first, in order, each with its label; absent keys are left out. */
const MAIN: [key: string, label: string][] = [
  ['model.preset', 'Preset'],
  ['recipe.name', 'Recipe'],
  ['recipe.optimizer.name', 'Optimiser'],
  ['recipe.learningRate', 'Learning rate'],
  ['recipe.batchSize', 'Batch size'],
  ['recipe.epochs', 'Epochs'],
  ['recipe.patience', 'Patience (epochs without progress before the rate is divided)'],
  ['recipe.optimizer.momentum', 'Momentum'],
  ['recipe.optimizer.weightDecay', 'Weight decay'],
  ['recipe.pcaNoise', 'PCA colour noise'],
  ['seed', 'Seed'],
  ['backend', 'Backend'],
  ['device', 'Device'],
  ['codeVersion', 'Code version'],
];

const ABLATION_WORDS: Record<string, string> = {
  oneTower: 'one tower',
  noLrn: 'no LRN',
  nonOverlappingPooling: 'non-overlapping pooling',
  noDropout: 'no dropout',
  noPcaNoise: 'no PCA noise',
};

/** The main settings as label and value, and the ablations switched on in words ('none' when there are none). */
export function mainSettings(settings: Settings): { label: string; value: string }[] {
  const found = MAIN.filter(([key]) => key in settings);
  const out = found.map(([key, label]) => ({ label, value: String(settings[key]) }));
  const ablations = Object.entries(settings)
    .filter(([key, value]) => key.startsWith('ablations.') && value === true)
    .map(([key]) => ABLATION_WORDS[key.slice('ablations.'.length)] ?? key.slice('ablations.'.length));
  // After the model's and the recipe's settings, before the seed and the machine.
  out.splice(found.filter(([key]) => key.startsWith('model.') || key.startsWith('recipe.')).length, 0, { label: 'Ablations', value: ablations.length > 0 ? ablations.join(', ') : 'none' });
  return out;
}

/** The epoch with the lowest validation top-1 error (the first of equals), or null before one was measured. */
export function bestEpoch(epochs: readonly EpochPoint[]): EpochPoint | null {
  let best: EpochPoint | null = null;
  for (const e of epochs) if (e.validationTop1Error !== null && (best === null || e.validationTop1Error < best.validationTop1Error!)) best = e;
  return best;
}

const CSV_COLUMNS: (keyof EpochPoint)[] = ['epoch', 'trainLoss', 'trainTop1Error', 'trainTop5Error', 'validationLoss', 'validationTop1Error', 'validationTop5Error', 'learningRate', 'seconds'];

/** The per-epoch metrics as CSV: a header of the field names, one row per epoch, empty cells for missing values. */
export function epochCsv(epochs: readonly EpochPoint[]): string {
  const rows = epochs.map((e) => CSV_COLUMNS.map((c) => (e[c] === null ? '' : String(e[c]))).join(','));
  return `${[CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}
