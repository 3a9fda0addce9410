// The Train form's values, kept outside the view so that leaving the page and coming back loses nothing typed.
import type { Ablations, Preset, RecipeName, RecipeDefaults } from '../../../core/api/contract';
import { NO_ABLATIONS } from '../../../core/vocabulary';

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
  /** False until the defaults of train:options were filled in once. */
  filled = $state(false);

  apply(defaults: RecipeDefaults | undefined): void {
    if (defaults === undefined) return;
    this.epochs = defaults.epochs;
    this.batchSize = defaults.batchSize;
    this.learningRate = defaults.learningRate;
    this.patience = defaults.patience;
    this.filled = true;
  }
}

export const trainForm = new TrainForm();
