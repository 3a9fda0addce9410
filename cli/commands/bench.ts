// `alexnet bench` (npm run bench): training and forward images/s, import images/s and neighbour query time, measured
// on the backend in use. Speed claims are ratios against the PyTorch reference run beside it (docs/PERFORMANCE.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { importDataset } from '../../core/dataset/import';
import { nearestNeighboursTf } from '../../core/inspect/neighbours';
import { bufferLimitBytes } from '../../core/backend/backend';
import { AlexNet } from '../../core/model/alexnet';
import { checkBufferLimit } from '../../core/model/buffers';
import { paperConfig, quickConfig } from '../../core/model/config';
import { Rng } from '../../core/random/rng';
import { createOptimizer } from '../../core/train/optimizer';
import { recipe } from '../../core/train/recipe';
import type { Context, WithContext } from '../context';
import { choiceOption, integerOption, notFound, usageError } from '../errors';
import { DEMO_DATASET } from './demo';

interface BenchOptions {
  preset: 'paper' | 'quick';
  batchSize?: number;
  steps?: number;
  warmup?: number;
  classes: number;
  importFolder?: string;
  database: number;
}

/** Seconds per call of `body`, after `warmup` calls, over `steps` calls (the last call's data is awaited). */
async function time(warmup: number, steps: number, body: () => Promise<void>): Promise<number> {
  for (let i = 0; i < warmup; i++) await body();
  const started = performance.now();
  for (let i = 0; i < steps; i++) await body();
  return (performance.now() - started) / 1000 / steps;
}

export function registerBenchCommand(program: Command, withContext: WithContext): void {
  program
    .command('bench')
    .description('measure training and forward images/s, import images/s and neighbour query time on this backend')
    .option('--preset <preset>', 'paper (the benchmark of record) or quick', choiceOption('Preset', ['paper', 'quick'] as const), 'paper')
    .option('--batch-size <n>', 'images per step (default 128 as the reference; 8 without a hardware GPU)', integerOption('Batch size', 1, 4096))
    .option('--steps <n>', 'timed steps (default 20; 3 without a hardware GPU)', integerOption('Steps', 1, 10_000))
    .option('--warmup <n>', 'untimed steps first (default 5; 1 without a hardware GPU)', integerOption('Warm-up', 0, 1000))
    .option('--classes <n>', 'outputs of fc8 (the reference uses 1000)', integerOption('Classes', 2, 100_000), 1000)
    .option('--import-folder <folder>', 'folder to time the import on (default: the embedded demo dataset)')
    .option('--database <n>', 'feature vectors searched in the neighbour benchmark', integerOption('Database', 1, 10_000_000), 10_000)
    .action(
      withContext(async (context: Context, given: BenchOptions) => {
        let options = given;
        // Checked first: the import is timed last, after minutes of training steps.
        if (options.importFolder !== undefined && !(fs.existsSync(options.importFolder) && fs.statSync(options.importFolder).isDirectory())) {
          throw notFound(`Folder '${options.importFolder}' given to --import-folder does not exist or is not a folder.`);
        }
        const backend = await context.backend();
        // Batch 128 of the paper's model takes minutes per step on a CPU or a software adapter: measure less there.
        const hardware = backend.name !== 'cpu' && !backend.notice;
        options = { ...options, batchSize: options.batchSize ?? (hardware ? 128 : 8), steps: options.steps ?? (hardware ? 20 : 3), warmup: options.warmup ?? (hardware ? 5 : 1) };
        if (!hardware) context.warn(`bench: no hardware GPU, so batch ${options.batchSize}, ${options.steps} timed steps (set --batch-size and --steps to change)`);
        const steps = options.steps!;
        const warmup = options.warmup!;
        const results: Record<string, number | string> = { backend: backend.name, device: backend.device, preset: options.preset, batch: options.batchSize! };
        const config = options.preset === 'paper' ? paperConfig(options.classes) : quickConfig(options.classes);
        try {
          checkBufferLimit(config, options.batchSize!, bufferLimitBytes(), backend.device);
        } catch (error) {
          // The remedy is another preset, batch size or backend: a usage error, not a failure of the benchmark.
          throw usageError((error as Error).message);
        }
        const model = AlexNet.create(config, 'paper', 0);
        const optimizer = createOptimizer(recipe('paper', options.preset).optimizer, model.variables());
        const b = options.batchSize!;
        const x = tf.randomNormal([b, config.cropSize, config.cropSize, 3]) as tf.Tensor4D;
        const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: b }, (_, i) => i % config.classes), 'int32'), config.classes));
        const rng = new Rng(0, 'bench');
        const variables = model.variables();
        // A training step as the trainer does it: forward with dropout, backward, SGD update, loss read back.
        const trainStep = async () => {
          const masks = model.dropoutMasks(b, rng);
          const { value, grads } = tf.variableGrads(
            () => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(model.forward(x, { dropoutMasks: masks }))), 1))) as tf.Scalar,
            variables,
          );
          optimizer.apply(grads, 0.001);
          await value.data();
          tf.dispose([value, ...Object.values(grads), ...(masks ?? [])]);
        };
        const forward = async () => {
          const logits = tf.tidy(() => model.forward(x));
          await logits.data();
          logits.dispose();
        };
        context.warn(`bench: ${options.preset} model, batch ${b}, ${warmup} warm-up + ${steps} timed steps`);
        const trainSeconds = await time(warmup, steps, trainStep);
        results.train_img_s = Math.round((b / trainSeconds) * 10) / 10;
        const forwardSeconds = await time(Math.min(3, warmup), steps, forward);
        results.fwd_img_s = Math.round((b / forwardSeconds) * 10) / 10;
        results.tensors_after = tf.memory().numTensors;
        tf.dispose([x, labels]);
        optimizer.dispose();
        model.dispose();

        // Import: decode, convert, resize and cache a folder of real photos into a scratch workspace.
        const folder = options.importFolder ?? DEMO_DATASET;
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-bench-'));
        try {
          const started = performance.now();
          const dataset = await importDataset(folder, scratch);
          const seconds = (performance.now() - started) / 1000;
          results.import_img_s = Math.round((dataset.manifest.report.imported / seconds) * 10) / 10;
          dataset.close();
        } finally {
          fs.rmSync(scratch, { recursive: true, force: true });
        }

        // Nearest neighbours: one fc7 query (4096) against a database of stored features.
        const dimension = 4096;
        const database = new Float32Array(options.database * dimension);
        const fill = new Rng(0, 'bench-features');
        for (let i = 0; i < database.length; i++) database[i] = Math.max(0, fill.normal());
        const query = database.slice(0, dimension);
        const querySeconds = await time(1, 5, async () => {
          await nearestNeighboursTf(tf, query, database, dimension, 6);
        });
        results.neighbours_ms = Math.round(querySeconds * 1000 * 10) / 10;
        results.neighbours_database = options.database;

        if (context.json) process.stdout.write(`${JSON.stringify(results)}\n`);
        else process.stdout.write(`RESULT ${Object.entries(results).map(([k, v]) => `${k}=${String(v).replace(/\s+/g, '_')}`).join(' ')}\n`);
        return 0;
      }),
    );
}
