// `alexnet bench` (npm run bench): training and forward images/s, import images/s and neighbour query time, measured
// on the backend in use; with --against-pytorch, this engine and the PyTorch reference side by side (bench-pytorch.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { importDataset } from '../../core/dataset/import';
import { searchableFloats } from '../../core/cpu/distances';
import { searchNeighbours } from '../../core/inspect/neighbours';
import { bufferLimitBytes } from '../../core/backend/backend';
import { checkBufferLimit } from '../../core/model/buffers';
import { paperConfig, quickConfig, type Preset } from '../../core/model/config';
import { formatProfile } from '../../core/perf/kernel-profile';
import { measureModel, secondsPerCall } from '../../core/perf/measure';
import type { Context, WithContext } from '../context';
import { choiceOption, integerOption, notFound, textOption, usageError } from '../errors';
import { LIMITS } from '../../core/vocabulary';
import { benchAgainstPytorch } from './bench-pytorch';
import { DEMO_DATASET } from './demo';

export interface BenchOptions {
  preset?: Preset;
  batchSize?: number;
  steps?: number;
  warmup?: number;
  classes: number;
  importFolder?: string;
  database: number;
  modelOnly?: boolean;
  againstPytorch?: boolean;
  rounds: number;
  python?: string;
  profile?: boolean;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Whether the backend in use is a hardware GPU (software adapters carry a notice). */
function onHardwareGpu(backend: { name: string; notice?: string }): boolean {
  return (backend.name === 'webgpu' && !backend.notice) || backend.name === 'tensorflow';
}

export function registerBenchCommand(program: Command, withContext: WithContext): void {
  program
    .command('bench')
    .description('measure training and forward images/s, import images/s and neighbour query time on this backend')
    .option('--preset <preset>', 'paper (the benchmark of record) or quick; with --against-pytorch, default both', choiceOption('Preset', ['paper', 'quick'] as const))
    .option('--batch-size <n>', 'images per step (default 128 on a GPU; without one 8 for the paper preset, 16 for the quick one)', integerOption('Batch size', LIMITS.batchSize.min, LIMITS.batchSize.max))
    .option('--steps <n>', 'timed steps (default 20 on a GPU; without one 3 for the paper preset, 20 for the quick one)', integerOption('Steps', 1, 10_000))
    .option('--warmup <n>', 'untimed steps first (default 5 on a GPU; without one 1 for the paper preset, 3 for the quick one)', integerOption('Warm-up', 0, 1000))
    .option('--classes <n>', 'outputs of fc8 (the reference uses 1000)', integerOption('Classes', 2, 100_000), 1000)
    .option('--import-folder <folder>', 'folder to time the import on (default: the embedded demo dataset)')
    .option('--database <n>', 'feature vectors (4096 values each) searched in the neighbour benchmark', integerOption('Database', 1, 200_000), 10_000)
    .option('--model-only', 'measure training and forward only')
    .option('--against-pytorch', 'run this engine and bench/alexnet_torch.py side by side, in turns, at the same thread count, and print the ratios')
    .option('--rounds <n>', 'turns of each side with --against-pytorch (medians are compared)', integerOption('Rounds', 1, 100), 3)
    .option('--profile', 'after the timed steps, time one training step kernel by kernel (on WebGPU by timestamp queries) and print where its time goes')
    .option('--python <executable>', 'the Python with PyTorch for --against-pytorch (default /usr/bin/python3, else python3)', textOption('Python', 4096))
    .action(
      withContext(async (context: Context, given: BenchOptions) => {
        // Checked first: the import is timed last, after minutes of training steps.
        if (given.importFolder !== undefined && !(fs.existsSync(given.importFolder) && fs.statSync(given.importFolder).isDirectory())) {
          throw notFound(`Folder '${given.importFolder}' given to --import-folder does not exist or is not a folder.`);
        }
        const backend = await context.backend();
        const hardware = onHardwareGpu(backend);
        if (given.againstPytorch) return benchAgainstPytorch(context, backend, hardware, given);
        const preset = given.preset ?? 'paper';
        // Batch 128 of the paper's model takes many seconds per step on a CPU or a software adapter: measure less there.
        const small = preset === 'paper' ? { batch: 8, steps: 3, warmup: 1 } : { batch: 16, steps: 20, warmup: 3 };
        const batch = given.batchSize ?? (hardware ? 128 : small.batch);
        const steps = given.steps ?? (hardware ? 20 : small.steps);
        const warmup = given.warmup ?? (hardware ? 5 : small.warmup);
        if (!hardware && given.batchSize === undefined) context.warn(`bench: no hardware GPU, so batch ${batch}, ${steps} timed steps (set --batch-size and --steps to change)`);
        const config = preset === 'paper' ? paperConfig(given.classes) : quickConfig(given.classes);
        try {
          checkBufferLimit(config, batch, bufferLimitBytes(), backend.device);
        } catch (error) {
          // The remedy is another preset, batch size or backend: a usage error, not a failure of the benchmark.
          throw usageError((error as Error).message);
        }
        const results: Record<string, number | string> = { backend: backend.name, device: backend.device, preset, batch, classes: given.classes };
        context.warn(`bench: ${preset} model, batch ${batch}, ${warmup} warm-up + ${steps} timed steps`);
        const measured = await measureModel(preset, batch, given.classes, warmup, steps, given.profile === true);
        results.train_img_s = round1(measured.train);
        results.fwd_img_s = round1(measured.forward);
        results.tensors_after = measured.tensors;
        if (measured.gpuAllocatedBytes !== undefined) results.gpu_allocated_mb = Math.round(measured.gpuAllocatedBytes / 2 ** 20);
        if (measured.profile) {
          for (const line of formatProfile(measured.profile)) process.stderr.write(`profile: ${line}\n`);
          results.profile_ms = Math.round(measured.profile.totalMs * 1000) / 1000;
        }
        // Peak resident memory of this process (Linux reports KiB).
        results.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);

        if (!given.modelOnly) {
          // Import: decode, convert, resize and cache a folder of real photos into a scratch workspace.
          const folder = given.importFolder ?? DEMO_DATASET;
          const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-bench-'));
          try {
            const started = performance.now();
            const dataset = await importDataset(folder, scratch);
            const seconds = (performance.now() - started) / 1000;
            results.import_img_s = round1(dataset.manifest.report.imported / seconds);
            dataset.close();
          } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
          }

          // Nearest neighbours: one fc7 query (4096) against a database of stored features, laid out as a stored
          // feature file is read (in place for the CPU engine's search).
          const dimension = 4096;
          const database = searchableFloats(given.database, dimension);
          // Sparse non-negative values like fc7's after its ReLU, from a cheap generator (100,000 rows are 409 M values).
          for (let i = 0, state = 0x9e3779b9; i < database.length; i++) {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            database[i] = Math.max(0, (state >>> 0) / 2 ** 31 - 1.2);
          }
          const query = database.slice(0, dimension);
          const querySeconds = await secondsPerCall(1, 5, async () => {
            await searchNeighbours(tf, query, database, dimension, 6);
          });
          results.neighbours_ms = round1(querySeconds * 1000);
          results.neighbours_database = given.database;
        }

        if (context.json) process.stdout.write(`${JSON.stringify(measured.profile ? { ...results, kernels: measured.profile.kernels } : results)}\n`);
        else process.stdout.write(`RESULT ${Object.entries(results).map(([k, v]) => `${k}=${String(v).replace(/\s+/g, '_')}`).join(' ')}\n`);
        return 0;
      }),
    );
}
