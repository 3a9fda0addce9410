// `alexnet evaluate | predict | neighbours | kernels | features`: look at what a trained run learned.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DecodeError } from '../../core/dataset/decode';
import { evaluate, type CropMode } from '../../core/evaluate/evaluate';
import { COLOUR_DEFINITION, COLOUR_METHOD, colourBaseline, formatRandomRange, runInitialConv1, type TowerWeights } from '../../core/inspect/colour-baseline';
import { kernelGridPng, kernelScores, type KernelShape } from '../../core/inspect/kernels';
import { storeTrainingFeatures } from '../../core/compute/features';
import { featuresFile, neighbours, predict, type Query } from '../../core/compute/lookup';
import { loadRun, queryPixels, runModelFiles, type LoadedRun } from '../../core/workbench/run-files';
import { runDirectory } from '../../core/workspace';
import type { Context, WithContext } from '../context';
import { choiceOption, CliError, EXIT, integerOption, notFound, usageError } from '../errors';
import { progressLine } from '../progress';
import { resolveRun } from '../resolve';

const CROPS = ['centre', 'ten'] as const;
const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

async function withRun<T>(context: Context, reference: string, body: (loaded: LoadedRun) => Promise<T>): Promise<T> {
  const run = resolveRun(context, reference);
  try {
    // A run without a usable checkpoint (it failed or was stopped in its first epoch) is a run with no model to look at.
    runModelFiles(context.log, run.id);
  } catch (error) {
    throw notFound((error as Error).message);
  }
  await context.backend();
  const loaded = loadRun(context.log, run.id);
  try {
    return await body(loaded);
  } finally {
    loaded.dispose();
  }
}

/** 'test:12' or 'train:3' picks a dataset image; anything else is an image file. */
function parseQuery(value: string): Query {
  const match = /^(train|test):(\d+)$/.exec(value);
  if (match) return { split: match[1] as 'train' | 'test', index: Number(match[2]) };
  if (/^(train|test):/.test(value) && !fs.existsSync(value)) throw usageError(`Image '${value}' is neither an image file nor train:N / test:N with N a whole number from 0.`);
  if (!fs.existsSync(value)) throw notFound(`Image '${value}' does not exist (give an image file, or train:N / test:N for a dataset image).`);
  if (!fs.statSync(value).isFile()) throw notFound(`Image '${value}' is a folder; give an image file, or train:N / test:N for a dataset image.`);
  return { file: path.resolve(value) };
}

/** The query's pixels; a dataset index past the split's end is a bad argument, a file that cannot be decoded an unreadable one. */
async function pixelsOf(loaded: LoadedRun, query: Query, given: string): Promise<Uint8Array> {
  if ('split' in query) {
    const size = loaded.dataset.entries(query.split).length;
    if (query.index >= size) throw usageError(`Image '${given}' does not exist: the ${query.split} split of dataset '${loaded.dataset.manifest.name}' has ${size} images (${query.split}:0 to ${query.split}:${size - 1}).`);
  }
  try {
    return await queryPixels(loaded, query);
  } catch (error) {
    if (error instanceof DecodeError) throw new CliError(error.message, EXIT.notFound);
    throw error;
  }
}

export function registerInspectCommands(program: Command, withContext: WithContext): void {
  program
    .command('evaluate')
    .description('top-1 and top-5 error, per-class accuracy and the confusion matrix (section 6)')
    .argument('<run>', "run id, or 'last'")
    .option('--crops <mode>', 'centre: one centre crop; ten: four corners and centre, and their reflections', choiceOption('Crops', CROPS), 'centre')
    .option('--split <split>', 'the split to evaluate', choiceOption('Split', ['test', 'train'] as const), 'test')
    .action(
      withContext(async (context: Context, reference: string, options: { crops: CropMode; split: 'test' | 'train' }) =>
        withRun(context, reference, async (loaded) => {
          const entries = loaded.dataset.entries(options.split);
          if (entries.length === 0) throw usageError(`The ${options.split} split of dataset '${loaded.dataset.manifest.name}' is empty.`);
          const progress = progressLine('evaluate', context.json, 'images');
          const result = await evaluate(loaded.model, loaded.source, entries, loaded.transform, {
            crops: options.crops,
            onProgress: (done, total) => progress.update(done, total),
          });
          progress.done();
          const checkpointRow = context.log.checkpoints(loaded.run.id).find((c) => c.path === loaded.checkpoint);
          context.log.addEvaluation({
            runId: loaded.run.id,
            checkpointId: checkpointRow?.id ?? null,
            split: options.split,
            crops: options.crops,
            top1Error: result.top1Error,
            top5Error: result.top5Error,
            loss: result.loss,
            perClassAccuracy: result.perClassAccuracy,
            confusion: result.confusion,
          });
          const labels = loaded.dataset.labels;
          if (context.json) {
            process.stdout.write(
              `${JSON.stringify({ run: loaded.run.id, preset: loaded.model.config.preset, split: options.split, crops: options.crops, count: result.count, top1Error: result.top1Error, top5Error: result.top5Error, loss: result.loss, labels, perClassAccuracy: result.perClassAccuracy, confusion: result.confusion })}\n`,
            );
          } else {
            if (loaded.model.config.preset === 'quick') context.say("(quick preset: not the paper's model)");
            context.say(`${options.split} split, ${result.count} images, ${options.crops === 'ten' ? 'ten crops' : 'centre crop'}: top-1 error ${percent(result.top1Error)}, ${labels.length > 5 ? `top-5 error ${percent(result.top5Error)}` : `no top-5 error (${labels.length} classes: every label is among the top 5)`}, loss ${result.loss.toFixed(3)}`);
            const width = Math.max(...labels.map((l) => l.length), 5);
            context.say(`\n${'class'.padEnd(width)}  accuracy  | confusion (rows: true class, columns: predicted, in this order)`);
            labels.forEach((label, i) => {
              const accuracy = result.perClassAccuracy[i];
              context.say(`${label.padEnd(width)}  ${accuracy === null || accuracy === undefined ? '   -    ' : percent(accuracy).padStart(8)}  | ${result.confusion[i]!.map((n) => String(n).padStart(4)).join('')}`);
            });
          }
          return 0;
        }),
      ),
    );

  program
    .command('predict')
    .description('top-5 predictions with probabilities for image files (decoded and preprocessed as at import)')
    .argument('<run>', "run id, or 'last'")
    .argument('<images...>', 'image files, or train:N / test:N')
    .option('--crops <mode>', 'centre or ten', choiceOption('Crops', CROPS), 'centre')
    .option('-k, --top <k>', 'how many predictions', integerOption('Top', 1, 100), 5)
    .action(
      withContext(async (context: Context, reference: string, images: string[], options: { crops: CropMode; top: number }) => {
        // Every image is checked before the model is loaded, so that a typo fails at once.
        const queries = images.map(parseQuery);
        return withRun(context, reference, async (loaded) => {
          const results = [];
          for (const [i, image] of images.entries()) {
            const pixels = await pixelsOf(loaded, queries[i]!, image);
            const predictions = await predict(loaded, pixels, options.crops, options.top);
            results.push({ image, predictions });
            context.say(`${image}`);
            for (const p of predictions) context.say(`  ${(p.probability * 100).toFixed(1).padStart(5)} %  ${'#'.repeat(Math.round(p.probability * 30)).padEnd(30)}  ${p.label}`);
          }
          if (context.json) process.stdout.write(`${JSON.stringify({ run: loaded.run.id, crops: options.crops, results })}\n`);
          return 0;
        });
      }),
    );

  program
    .command('neighbours')
    .description("nearest training images by fc7 features, and by raw pixels for contrast (section 6.1, Figure 4)")
    .argument('<run>', "run id, or 'last'")
    .argument('<image>', 'an image file, or train:N / test:N')
    .option('-k <k>', 'how many neighbours', integerOption('k', 1, 100), 6)
    .action(
      withContext(async (context: Context, reference: string, image: string, options: { k: number }) => {
        const query = parseQuery(image);
        return withRun(context, reference, async (loaded) => {
          const started = performance.now();
          const pixels = await pixelsOf(loaded, query, image);
          const self = 'split' in query && query.split === 'train' ? query.index : -1;
          const file = featuresFile(runDirectory(context.workspace, loaded.run.id));
          const result = await neighbours(loaded, file, pixels, options.k, self);
          const ms = performance.now() - started;
          // The query by name: a dataset image with its file and class, or the file given.
          const entry = 'split' in query ? loaded.dataset.entries(query.split)[query.index] : undefined;
          const queryImage = entry ? { path: entry.path, label: loaded.dataset.labels[entry.label]! } : { path: image, label: null };
          if (context.json) {
            process.stdout.write(`${JSON.stringify({ run: loaded.run.id, image, query: queryImage, milliseconds: ms, ...result })}\n`);
          } else {
            context.say(`query: ${queryImage.path}${queryImage.label === null ? '' : ` (class ${queryImage.label})`}`);
            context.say(`nearest by fc7 features (what the network thinks is similar):`);
            for (const n of result.byFeatures) context.say(`  ${n.distance.toFixed(2).padStart(10)}  ${n.label.padEnd(14)} ${n.path}`);
            context.say(`nearest by raw pixels (256x256 L2):`);
            for (const n of result.byPixels) context.say(`  ${n.distance.toFixed(0).padStart(10)}  ${n.label.padEnd(14)} ${n.path}`);
            context.say(`(${ms.toFixed(0)} ms)`);
          }
          return 0;
        });
      }),
    );

  program
    .command('kernels')
    .description("conv1's kernels of each tower as PNG grids, with colour-specificity scores (Figure 3)")
    .argument('<run>', "run id, or 'last'")
    .option('--out <folder>', 'where to write the PNGs (default: the run folder)')
    .option('--scale <n>', 'pixels per kernel pixel', integerOption('Scale', 1, 32), 4)
    .action(
      withContext(async (context: Context, reference: string, options: { out?: string; scale: number }) => {
        // Checked before the run's model is loaded; a folder that cannot be made is reported when it is made.
        if (options.out !== undefined && fs.existsSync(options.out) && !fs.statSync(options.out).isDirectory()) {
          throw usageError(`--out '${options.out}' is a file; expected a folder for the PNGs (it is made if missing).`);
        }
        return withRun(context, reference, async (loaded) => {
          const out = path.resolve(options.out ?? path.join(runDirectory(context.workspace, loaded.run.id), 'kernels'));
          try {
            fs.mkdirSync(out, { recursive: true });
          } catch (error) {
            throw new CliError(`Cannot make the folder '${out}' given to --out (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a folder that can be written.`, EXIT.notFound);
          }
          const towers = loaded.model.specs.filter((s) => s.name.startsWith('conv1/') && s.kind === 'weight');
          // Figure 3's baseline: the same towers at step 0, as the run's seed drew them (or as an imported job began).
          const initial = runInitialConv1(loaded.run, context.log.kernelSnapshots(loaded.run.id));
          const weighed: (TowerWeights & { file: string })[] = [];
          const shape = towers[0]!.shape as KernelShape;
          for (const [t, spec] of towers.entries()) {
            const weights = (await loaded.model.parameter(spec.name).data()) as Float32Array;
            const tower = spec.name.split('/')[1]!;
            const file = path.join(out, `conv1-tower-${tower}.png`);
            fs.writeFileSync(file, await kernelGridPng(weights, shape, { columns: 8, scale: options.scale }));
            weighed.push({ tower, weights, initial: initial?.[t], file });
          }
          const colour = colourBaseline(weighed, shape);
          const summary = weighed.map(({ tower, weights, file }, t) => {
            const measured = colour.towers[t]!;
            const said = `colour specificity ${measured.score.toFixed(3)} (at initialisation ${measured.initialScore?.toFixed(3) ?? 'unknown'}; random kernels ${formatRandomRange(measured.random)}: ${measured.againstRandom})`;
            context.say(`tower ${tower}: ${measured.kernels} kernels, ${said} -> ${file}`);
            return { tower, file, colourSpecificity: measured.score, initialColourSpecificity: measured.initialScore, random: measured.random, againstRandom: measured.againstRandom, kernels: kernelScores(weights, shape) };
          });
          for (const line of [`Figure 3: ${colour.verdict}.`, COLOUR_DEFINITION, COLOUR_METHOD]) context.say(line);
          if (context.json) process.stdout.write(`${JSON.stringify({ run: loaded.run.id, towers: summary, split: colour.split, specialised: colour.specialised, verdict: colour.verdict, definition: COLOUR_DEFINITION, method: COLOUR_METHOD })}\n`);
          return 0;
        });
      }),
    );

  program
    .command('features')
    .description('(re)compute and store the fc7 features of every training image for a run')
    .argument('<run>', "run id, or 'last'")
    .action(
      withContext(async (context: Context, reference: string) =>
        withRun(context, reference, async (loaded) => {
          const file = await storeTrainingFeatures(loaded.model, loaded.dataset, runDirectory(context.workspace, loaded.run.id), loaded.recipe.inputScale);
          context.say(`stored fc7 features of ${loaded.dataset.entries('train').length} training images in ${file}`);
          if (context.json) process.stdout.write(`${JSON.stringify({ run: loaded.run.id, file })}\n`);
          return 0;
        }),
      ),
    );
}
