// `alexnet reproduce`: the paper's comparisons on the user's own dataset (every ablation, several seeds, centre and
// ten crops, Figures 3 and 4), written as a Markdown and an HTML report.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { RECIPE_NAMES, type RecipeName } from '../../core/train/recipe';
import type { Context, WithContext } from '../context';
import { choiceOption, integerOption, usageError } from '../errors';
import { formatSeconds, progressLine } from '../progress';
import { resolveDataset } from '../resolve';

export function registerReproduceCommand(program: Command, withContext: WithContext): void {
  program
    .command('reproduce')
    .description("train the paper's network and each ablation with the same seed, data and budget, and report their errors and Figures 3 and 4")
    .argument('<dataset>', 'dataset id (see `alexnet datasets`) or a folder of class folders')
    .option('--preset <preset>', "paper: the paper's network; quick: the small two-tower net (not the paper's)", choiceOption('Preset', ['paper', 'quick'] as const), 'paper')
    .option('--recipe <recipe>', 'small-data (default) or paper', choiceOption('Recipe', RECIPE_NAMES), 'small-data')
    .option('--epochs <n>', "epochs of every run (default: the recipe's)", integerOption('Epochs', 1, 10_000))
    .option('--batch-size <n>', 'images per step', integerOption('Batch size', 1, 4096))
    .option('--seeds <n>', 'runs of the full model, with seeds 0 to n-1 (for error bars); each ablation runs with seed 0', integerOption('Seeds', 1, 20), 3)
    .option('--out <folder>', 'where to write report.md and report.html (default: <home>/reports/<date>)')
    .action(
      withContext(async (context: Context, reference: string, options: { preset: 'paper' | 'quick'; recipe: RecipeName; epochs?: number; batchSize?: number; seeds: number; out?: string }) => {
        // Checked first: the report is written after hours of training.
        if (options.out !== undefined && fs.existsSync(options.out) && !fs.statSync(options.out).isDirectory()) throw usageError(`--out '${options.out}' is a file; expected a folder for the report.`);
        const dataset = await resolveDataset(context, reference);
        const backend = await context.backend();
        const { reproduce } = await import('../../core/reproduce/reproduce');
        const { writeReport } = await import('../../core/reproduce/report');
        const seeds = Array.from({ length: options.seeds }, (_, i) => i);
        let progress = progressLine('run', context.json, 'steps');
        const started = performance.now();
        const result = await reproduce(context.workspace, context.log, backend, {
          dataset,
          preset: options.preset,
          recipe: options.recipe,
          ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          seeds,
          onRun: (variant, seed, runId) => {
            progress.done();
            context.say(`${variant.label}, seed ${seed}: run ${runId}`);
            progress = progressLine(`  ${variant.id}`, context.json, 'steps');
          },
          onEvent: (event) => {
            if (event.type === 'step') progress.update(event.globalStep, event.stepsPerEpoch * (event.epoch + 1), `epoch ${event.epoch + 1}`);
          },
        });
        progress.done();
        const out = path.resolve(options.out ?? path.join(context.workspace.reports, result.date.replace(/[:.]/g, '-')));
        const files = await writeReport(result, dataset, context.log, out);
        if (context.json) process.stdout.write(`${JSON.stringify({ ...files, result })}\n`);
        else context.say(`report: ${files.markdown} and ${files.html} (${formatSeconds((performance.now() - started) / 1000)})`);
        return 0;
      }),
    );
}
