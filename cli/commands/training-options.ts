// The options that say what to train (preset, recipe and its overrides, seed, ablations), shared by `alexnet train`
// and `alexnet cluster-job`, and the request they make.
import type { Command } from 'commander';
import type { Dataset } from '../../core/dataset/dataset';
import { MAX_CLASSES, MIN_CLASSES } from '../../core/model/config';
import type { TrainingRequest } from '../../core/workbench/training';
import { LIMITS, PRESETS, RECIPE_NAMES, type RecipeName } from '../../core/vocabulary';
import { choiceOption, integerOption, numberOption, usageError } from '../errors';

/** Adds the options to a command. */
export function trainingOptions(command: Command): Command {
  return command
    .option('--preset <preset>', "paper: the paper's network; quick: a small two-tower net for CPUs (not the paper's)", choiceOption('Preset', PRESETS), 'paper')
    .option('--recipe <recipe>', "small-data (default; departs from the paper, see README) or paper (section 5 exactly)", choiceOption('Recipe', RECIPE_NAMES), 'small-data')
    .option('--epochs <n>', 'epochs to train (default: the recipe\'s)', integerOption('Epochs', LIMITS.epochs.min, LIMITS.epochs.max))
    .option('--batch-size <n>', 'images per step (paper: 128)', integerOption('Batch size', LIMITS.batchSize.min, LIMITS.batchSize.max))
    .option('--learning-rate <rate>', 'initial learning rate', numberOption('Learning rate', 0, LIMITS.learningRate.max, true))
    .option('--patience <epochs>', 'epochs without a better validation error before dividing the rate by 10', integerOption('Patience', LIMITS.patience.min, LIMITS.patience.max))
    .option('--seed <n>', 'seed of every random choice', integerOption('Seed', LIMITS.seed.min, LIMITS.seed.max), 0)
    .option('--one-tower', 'ablation: one tower with half the kernels (section 3.2)')
    .option('--no-lrn', 'ablation: no local response normalisation (section 3.3)')
    .option('--non-overlapping-pooling', 'ablation: 2x2 stride 2 pooling (section 3.4)')
    .option('--no-dropout', 'ablation: no dropout (section 4.2)')
    .option('--no-pca-noise', 'ablation: no PCA colour noise (section 4.1)');
}

/**
 * The request the options make for a dataset. A dataset whose class count no model can have is refused (and closed)
 * before anything is created: a softmax over one class is always 1, so nothing could be learned.
 */
export function trainingRequest(dataset: Dataset, datasetReference: string, options: Record<string, unknown>): Omit<TrainingRequest, 'maxSteps' | 'name'> {
  const classes = dataset.labels.length;
  if (classes < MIN_CLASSES || classes > MAX_CLASSES) {
    const labels = dataset.labels.slice(0, 3).map((l) => `'${l}'`).join(', ');
    dataset.close();
    throw usageError(
      `Dataset '${datasetReference}' has ${classes} ${classes === 1 ? 'class' : 'classes'} (${labels}); training needs ${MIN_CLASSES} to ${MAX_CLASSES.toLocaleString('en')} classes. Add a subfolder per class and import the folder again.`,
    );
  }
  return {
    dataset,
    preset: options.preset as 'paper' | 'quick',
    recipe: options.recipe as RecipeName,
    overrides: {
      ...(options.epochs !== undefined ? { epochs: options.epochs as number } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize as number } : {}),
      ...(options.learningRate !== undefined ? { learningRate: options.learningRate as number } : {}),
      ...(options.patience !== undefined ? { patience: options.patience as number } : {}),
    },
    ablations: {
      oneTower: Boolean(options.oneTower),
      noLrn: options.lrn === false,
      nonOverlappingPooling: Boolean(options.nonOverlappingPooling),
      noDropout: options.dropout === false,
      noPcaNoise: options.pcaNoise === false,
    },
    seed: options.seed as number,
  };
}
