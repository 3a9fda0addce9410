// `alexnet bench --against-pytorch`: this engine and the PyTorch reference (bench/alexnet_torch.py) measured side by
// side on the same machine, in turns, at the same thread count, each in a fresh process; prints both and the ratios.
//
// Speed is claimed only as such a ratio (docs/PERFORMANCE.md). Turns (ours, theirs, ours, ...) spread the slow drifts
// of a shared machine over both sides; the medians of the turns are compared.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendInfo } from '../../core/backend/backend';
import { cpuEngineThreads } from '../../core/cpu/engine';
import type { Preset } from '../../core/model/config';
import type { Context } from '../context';
import { CliError, EXIT } from '../errors';
import type { BenchOptions } from './bench';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REFERENCE = path.join(ROOT, 'bench', 'alexnet_torch.py');
const CLI = path.join(ROOT, 'bin', 'alexnet.js');

/** One side's figures in one turn. */
interface Figures {
  train: number;
  forward: number;
  /** Peak resident memory of the measuring process, MiB. */
  memory: number;
}

interface Comparison {
  preset: Preset;
  batch: number;
  classes: number;
  threads: number;
  ours: Figures[];
  pytorch: Figures[];
}

/** The CPU defaults of the issue's comparison: the quick preset at batch 16, the paper's at batch 8. */
const CPU_PLAN: Record<Preset, { batch: number; steps: number; warmup: number }> = {
  quick: { batch: 16, steps: 20, warmup: 3 },
  paper: { batch: 8, steps: 3, warmup: 1 },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function defaultPython(): string {
  // Debian's PyTorch is installed for Debian's Python; another python3 earlier on PATH may lack it.
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw new CliError(`Could not run '${command}': ${result.error.message}.`, EXIT.notFound);
  if (result.status !== 0) throw new CliError(`'${command} ${args.join(' ')}' failed (exit code ${result.status}): ${result.stderr.trim().split('\n').slice(-3).join(' ')}`, EXIT.internal);
  return result.stdout;
}

function field(line: string, name: string): number {
  const match = new RegExp(`\\b${name}=([0-9.]+)`).exec(line);
  if (!match) throw new CliError(`The reference printed no ${name}: '${line.trim()}'.`, EXIT.internal);
  return Number(match[1]);
}

export async function benchAgainstPytorch(context: Context, backend: BackendInfo, hardware: boolean, options: BenchOptions): Promise<number> {
  const python = options.python ?? defaultPython();
  const check = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new CliError(`'${python}' cannot import torch, the reference's library: install Debian's python3-torch, or name a Python that has it with --python.`, EXIT.notFound);
  }
  // The JavaScript backend is single-threaded; the CPU engine's count is what it started with.
  const threads = backend.name === 'wasm' ? cpuEngineThreads()! : 1;
  const device = hardware ? 'auto' : 'cpu';
  const presets: Preset[] = options.preset ? [options.preset] : ['quick', 'paper'];
  const comparisons: Comparison[] = [];
  context.warn(`bench: this engine (${backend.name} on ${backend.device}) against PyTorch ${check.stdout.trim()} (${device === 'cpu' ? `CPU, ${threads} thread${threads > 1 ? 's' : ''}` : 'CUDA when present'}), ${options.rounds} turns each`);
  for (const preset of presets) {
    const plan = hardware ? { batch: 128, steps: 20, warmup: 5 } : CPU_PLAN[preset];
    const batch = options.batchSize ?? plan.batch;
    const steps = String(options.steps ?? plan.steps);
    const warmup = String(options.warmup ?? plan.warmup);
    const shape = ['--preset', preset, '--batch-size', String(batch), '--classes', String(options.classes), '--steps', steps, '--warmup', warmup];
    const comparison: Comparison = { preset, batch, classes: options.classes, threads, ours: [], pytorch: [] };
    for (let turn = 0; turn < options.rounds; turn++) {
      const ours = JSON.parse(run(process.execPath, [CLI, '--json', '--backend', backend.name, '--threads', String(threads), 'bench', ...shape, '--model-only'], process.env).trim().split('\n').pop()!) as Record<string, number>;
      comparison.ours.push({ train: ours.train_img_s!, forward: ours.fwd_img_s!, memory: ours.peak_rss_mb! });
      const line = run(python, [REFERENCE, '--device', device, '--threads', String(threads), ...shape], { ...process.env, OMP_NUM_THREADS: String(threads) })
        .split('\n')
        .find((l) => l.startsWith('RESULT'));
      if (!line) throw new CliError('The reference printed no RESULT line.', EXIT.internal);
      comparison.pytorch.push({ train: field(line, 'train_img_s'), forward: field(line, 'fwd_img_s'), memory: field(line, 'peak_rss_mb') });
      context.warn(`bench: ${preset} turn ${turn + 1}: ours ${comparison.ours.at(-1)!.train} / ${comparison.ours.at(-1)!.forward} img/s, PyTorch ${comparison.pytorch.at(-1)!.train} / ${comparison.pytorch.at(-1)!.forward} img/s (training / forward)`);
    }
    comparisons.push(comparison);
  }
  report(context, backend, comparisons);
  return 0;
}

function report(context: Context, backend: BackendInfo, comparisons: Comparison[]): void {
  const rows = comparisons.map((c) => {
    const m = (side: Figures[], key: keyof Figures) => median(side.map((f) => f[key]));
    const ours = { train: m(c.ours, 'train'), forward: m(c.ours, 'forward'), memory: m(c.ours, 'memory') };
    const pytorch = { train: m(c.pytorch, 'train'), forward: m(c.pytorch, 'forward'), memory: m(c.pytorch, 'memory') };
    return {
      preset: c.preset,
      batch: c.batch,
      classes: c.classes,
      threads: c.threads,
      turns: c.ours.length,
      ours,
      pytorch,
      ratio: { train: ours.train / pytorch.train, forward: ours.forward / pytorch.forward, memory: ours.memory / pytorch.memory },
    };
  });
  if (context.json) {
    process.stdout.write(`${JSON.stringify({ backend: backend.name, device: backend.device, comparisons: rows })}\n`);
    return;
  }
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  for (const r of rows) {
    context.say(`\n${r.preset} preset, batch ${r.batch}, ${r.classes} classes, ${r.threads} thread${r.threads > 1 ? 's' : ''}, median of ${r.turns} turns`);
    context.say(`                 training img/s   forward img/s   peak memory`);
    context.say(`  this engine    ${f(r.ours.train).padStart(14)}   ${f(r.ours.forward).padStart(13)}   ${f(r.ours.memory).padStart(7)} MiB`);
    context.say(`  PyTorch        ${f(r.pytorch.train).padStart(14)}   ${f(r.pytorch.forward).padStart(13)}   ${f(r.pytorch.memory).padStart(7)} MiB`);
    context.say(`  ratio          ${r.ratio.train.toFixed(2).padStart(14)}   ${r.ratio.forward.toFixed(2).padStart(13)}   ${r.ratio.memory.toFixed(2).padStart(11)}`);
    process.stdout.write(`RESULT preset=${r.preset} batch=${r.batch} threads=${r.threads} train_ratio=${r.ratio.train.toFixed(3)} fwd_ratio=${r.ratio.forward.toFixed(3)} memory_ratio=${r.ratio.memory.toFixed(3)}\n`);
  }
}
