// `alexnet reproduce`: the paper's comparisons on the user's own dataset (every ablation, several seeds, centre and
// ten crops, Figures 3 and 4), written as a Markdown and an HTML report.
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ABLATION_VARIANTS } from '../../core/reproduce/variants';
import { RECIPE_NAMES, type RecipeName } from '../../core/train/recipe';
import type { Context, WithContext } from '../context';
import type { CrossCheck } from '../../core/reproduce/cross-check';
import type { Reproduction } from '../../core/reproduce/reproduce';
import { choiceOption, CliError, EXIT, integerOption, notFound, usageError } from '../errors';
import { formatSeconds, progressLine } from '../progress';
import { resolveDataset } from '../resolve';
import { LIMITS } from '../../core/vocabulary';

export function registerReproduceCommand(program: Command, withContext: WithContext): void {
  program
    .command('reproduce')
    .description("train the paper's network and each ablation with the same seed, data and budget, and report their errors and Figures 3 and 4")
    .argument('<dataset>', 'dataset id (see `alexnet datasets`) or a folder of class folders')
    .option('--preset <preset>', "paper: the paper's network; quick: the small two-tower net (not the paper's)", choiceOption('Preset', ['paper', 'quick'] as const), 'paper')
    .option('--recipe <recipe>', 'small-data (default) or paper', choiceOption('Recipe', RECIPE_NAMES), 'small-data')
    .option('--epochs <n>', "epochs of every run (default: the recipe's)", integerOption('Epochs', LIMITS.epochs.min, LIMITS.epochs.max))
    .option('--batch-size <n>', 'images per step', integerOption('Batch size', LIMITS.batchSize.min, LIMITS.batchSize.max))
    .option('--seeds <n>', 'runs of the full model, with seeds 0 to n-1 (for error bars, and the pairs of a cross-check, which needs 5); each ablation runs with seed 0', integerOption('Seeds', 1, 50), 5)
    .option('--out <folder>', 'where to write report.md and report.html (default: <home>/reports/<date>)')
    .option('--ablations <ids>', `comma-separated ablations to train besides the full model, or none (default: all: ${ABLATION_VARIANTS.map((v) => v.id).join(', ')})`, ablationList)
    .option('--fresh', 'train every run anew (by default a run an earlier reproduction with the same settings, data and code completed is reused, and one it left interrupted is resumed)')
    .option('--reference <file>', 'cross-check against this result of bench/reference_train.py (same model, recipe, data and epochs)')
    .action(
      withContext(async (context: Context, name: string, options: { preset: 'paper' | 'quick'; recipe: RecipeName; epochs?: number; batchSize?: number; seeds: number; out?: string; reference?: string; fresh?: boolean; ablations?: string[] }) => {
        // Checked first: the report is written after hours of training.
        if (options.out !== undefined && fs.existsSync(options.out) && !fs.statSync(options.out).isDirectory()) throw usageError(`--out '${options.out}' is a file; expected a folder for the report.`);
        const { readReference, checkComparable, crossCheck } = await import('../../core/reproduce/cross-check');
        const referenceFile = options.reference;
        const referenceResult = referenceFile === undefined ? undefined : readOrExplain(() => readReference(referenceFile));
        const dataset = await resolveDataset(context, name);
        if (referenceResult && referenceFile !== undefined) {
          const { resolveRecipe } = await import('../../core/workbench/training');
          const planned = resolveRecipe({ preset: options.preset, recipe: options.recipe, overrides: { ...(options.epochs !== undefined ? { epochs: options.epochs } : {}), ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}) } });
          const ours = { preset: options.preset, recipe: options.recipe, epochs: planned.epochs, batchSize: planned.batchSize, dataset: { labels: dataset.labels, train: dataset.entries('train').length, test: dataset.entries('test').length } };
          readOrExplain(() => checkComparable(ours, referenceResult, referenceFile), EXIT.usage);
        }
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
          fresh: options.fresh === true,
          ...(options.ablations !== undefined ? { ablations: options.ablations } : {}),
          onRun: (variant, seed, runId, how, { index, total }) => {
            progress.done();
            const said = { new: '', reused: ' (completed by an earlier reproduction with the same settings: reused)', resumed: ' (left by an earlier reproduction: resumed from its last checkpoint)' }[how];
            if (context.json) process.stdout.write(`${JSON.stringify({ type: 'reproduce-run', run: index + 1, of: total, variant: variant.id, seed, runId, how })}\n`);
            context.say(`run ${index + 1} of ${total}: ${variant.label}, seed ${seed}: run ${runId}${said}`);
            progress = progressLine(`  ${variant.id}`, context.json, 'steps');
          },
          onEvent: (event) => {
            if (event.type === 'step') progress.update(event.globalStep, event.stepsPerEpoch * (event.epoch + 1), `epoch ${event.epoch + 1}`);
          },
        });
        progress.done();
        if (referenceResult && referenceFile !== undefined) result.crossCheck = crossCheck(result, referenceResult, path.resolve(referenceFile));
        const out = path.resolve(options.out ?? path.join(context.workspace.reports, result.date.replace(/[:.]/g, '-')));
        const files = await writeReport(result, dataset, context.log, out);
        if (context.json) process.stdout.write(`${JSON.stringify({ ...files, result })}\n`);
        else context.say(`report: ${files.markdown} and ${files.html} (${formatSeconds((performance.now() - started) / 1000)})`);
        // Figure 3 as a finding or not, per seed of the full model (the report gives the definition and the numbers).
        for (const t of result.towers) if (t.colour) context.say(`Figure 3, seed ${t.seed}: ${t.colour.verdict}.`);
        if (result.crossCheck) return sayCrossCheck(context, result.crossCheck);
        return 0;
      }),
    );

  program
    .command('cross-check')
    .description('compare a reproduction with an independent reference (bench/reference_train.py: the same model and recipe in PyTorch) and add the comparison to its report')
    .argument('<report>', 'a report id (see the Runs view, or <home>/reports) or a report folder')
    .argument('<reference>', 'the JSON file bench/reference_train.py wrote')
    .action(
      withContext(async (context: Context, report: string, referenceFile: string) => {
        const { readReference, crossCheck } = await import('../../core/reproduce/cross-check');
        const { writeReport, RESULT_FILE } = await import('../../core/reproduce/report');
        const folder = fs.existsSync(path.join(report, RESULT_FILE)) ? path.resolve(report) : path.join(context.workspace.reports, report);
        const resultFile = path.join(folder, RESULT_FILE);
        if (path.basename(report) !== report && !fs.existsSync(resultFile)) throw notFound(`'${report}' is not a report folder: it has no ${RESULT_FILE}.`);
        if (!fs.existsSync(resultFile)) throw notFound(`Report '${report}' is neither a report id in ${context.workspace.reports} nor a folder with a ${RESULT_FILE}.`);
        const result = readOrExplain(() => JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Reproduction, EXIT.notFound, `The report's ${resultFile} is not JSON`);
        const reference = readOrExplain(() => readReference(referenceFile));
        result.crossCheck = readOrExplain(() => crossCheck(result, reference, path.resolve(referenceFile)), EXIT.usage);
        const dataset = await resolveDataset(context, result.dataset.id);
        const files = await writeReport(result, dataset, context.log, folder);
        if (context.json) process.stdout.write(`${JSON.stringify({ ...files, crossCheck: result.crossCheck })}\n`);
        else context.say(`report: ${files.markdown} and ${files.html}`);
        return sayCrossCheck(context, result.crossCheck);
      }),
    );
}

/** Parses --ablations: ids of ABLATION_VARIANTS separated by commas, or 'none'. */
function ablationList(value: string): string[] {
  if (value.trim() === 'none') return [];
  const ids = value.split(',').map((id) => id.trim());
  const known = ABLATION_VARIANTS.map((v) => v.id);
  const wrong = ids.find((id) => !known.includes(id));
  if (wrong !== undefined) throw new InvalidArgumentError(`Ablation '${wrong}' is not known; use none, or some of ${known.join(', ')} separated by commas.`);
  return ids;
}

/** Runs a check that throws a plain Error, turning it into a CLI error with the given exit code. */
function readOrExplain<T>(read: () => T, exitCode: number = EXIT.notFound, prefix?: string): T {
  try {
    return read();
  } catch (error) {
    const message = (error as Error).message;
    throw new CliError(prefix ? `${prefix}: ${message}` : message, exitCode);
  }
}

/** Prints the verdict; exit code 7 when our full model is outside the tolerance, 8 when the seeds cannot tell. */
function sayCrossCheck(context: Context, check: CrossCheck): number {
  const mean = (xs: { top1: number }[]) => (100 * xs.reduce((a, b) => a + b.top1, 0)) / xs.length;
  context.say(
    `cross-check: centre-crop top-1 error ${mean(check.ours).toFixed(1)} % (ours, ${check.ours.length} seeds) against ${mean(check.theirs).toFixed(1)} % (${check.reference.name}, ${check.theirs.length} seeds), ` +
      `${check.pairs.length} paired (seed i on both sides). ${check.reading}`,
  );
  return { within: EXIT.ok, outside: EXIT.checkFailed, 'cannot tell': EXIT.checkInconclusive }[check.verdict];
}
