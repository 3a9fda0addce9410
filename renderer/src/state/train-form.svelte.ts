// The Train form's values, kept outside the view so that leaving the page and coming back loses nothing typed, and
// in the page's storage so that a reload does not either.
import type { Ablations, Preset, RecipeName, RecipeDefaults } from '../../../core/api/contract';
import { NO_ABLATIONS } from '../../../core/vocabulary';
import { readStoredForm, STORAGE_KEY, type FormValues } from './train-form-storage';

class TrainForm {
  datasetId = $state('');
  preset = $state<Preset>('paper');
  recipe = $state<RecipeName>('small-data');
  epochs = $state<number | null>(null);
  batchSize = $state<number | null>(null);
  learningRate = $state<number | null>(null);
  patience = $state<number | null>(null);
  seed = $state<number | null>(1);
  name = $state('');
  ablations = $state<Ablations>({ ...NO_ABLATIONS });
  /** False until the defaults of train:options were filled in once (or values came back from storage). */
  filled = $state(false);

  constructor() {
    const stored = readStoredForm(storage()?.getItem(STORAGE_KEY) ?? null);
    Object.assign(this, stored);
    if (stored.epochs !== undefined && stored.batchSize !== undefined) this.filled = true;
    $effect.root(() => {
      $effect(() => {
        const values = this.values();
        try {
          storage()?.setItem(STORAGE_KEY, JSON.stringify(values));
        } catch {
          // Storage full or refused (a private window): the form still works, it is only not kept across reloads.
        }
      });
    });
  }

  /** The values as they stand (a copy). */
  values(): FormValues {
    return {
      datasetId: this.datasetId,
      preset: this.preset,
      recipe: this.recipe,
      epochs: this.epochs,
      batchSize: this.batchSize,
      learningRate: this.learningRate,
      patience: this.patience,
      seed: this.seed,
      name: this.name,
      ablations: { ...this.ablations },
    };
  }

  apply(defaults: RecipeDefaults | undefined): void {
    if (defaults === undefined) return;
    this.epochs = defaults.epochs;
    this.batchSize = defaults.batchSize;
    this.learningRate = defaults.learningRate;
    this.patience = defaults.patience;
    this.filled = true;
  }
}

/** The page's localStorage, or undefined where there is none (tests in Node) or it is refused. */
function storage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

export const trainForm = new TrainForm();
