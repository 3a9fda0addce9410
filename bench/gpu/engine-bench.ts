// The engine's side of bench/gpu/run.sh: the paper's model trained and run forward on WebGPU (Dawn), at batch 128 by
// default, then one more training step kernel by kernel (timestamp queries). Bundled into one file with every
// package but Dawn's native `webgpu` (bench/gpu/prepare.sh), so that a machine with nothing but Node runs it.
//
//   node engine.mjs [--preset paper|quick] [--batch N] [--steps N] [--warmup N] [--allow-software]
//
// Prints the profile to stderr and one line `RESULT {json}` to stdout.
import * as tf from '@tensorflow/tfjs-core';
import { bufferLimitBytes, selectBackend } from '../../core/backend/backend';
import { checkBufferLimit } from '../../core/model/buffers';
import { paperConfig, quickConfig, type Preset } from '../../core/model/config';
import { formatProfile } from '../../core/perf/kernel-profile';
import { measureModel } from '../../core/perf/measure';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} '${process.argv[at + 1]}' is not allowed; use a whole number.`);
  return value;
}

const presetAt = process.argv.indexOf('--preset');
const preset = (presetAt < 0 ? 'paper' : process.argv[presetAt + 1]) as Preset;
if (preset !== 'paper' && preset !== 'quick') throw new Error(`--preset '${preset}' is not known; use paper or quick.`);
const batch = option('--batch', 128);
const steps = option('--steps', 20);
const warmup = option('--warmup', 5);
const classes = 1000;

const backend = await selectBackend('webgpu');
if (!backend.accelerated && !process.argv.includes('--allow-software')) {
  throw new Error(`WebGPU is on a software renderer (${backend.device}), not a GPU: its speed means nothing (--allow-software runs anyway).`);
}
const device = (tf.backend() as unknown as { device: GPUDevice }).device;
const features = [...device.features].filter((f) => ['timestamp-query', 'shader-f16', 'subgroups'].includes(f)).sort();
process.stderr.write(`engine: ${backend.device}; features ${features.join(', ') || 'none'}; ${preset} model, batch ${batch}, ${warmup} warm-up + ${steps} timed steps\n`);
checkBufferLimit(preset === 'paper' ? paperConfig(classes) : quickConfig(classes), batch, bufferLimitBytes(), backend.device);
const measured = await measureModel(preset, batch, classes, warmup, steps, true);
for (const line of formatProfile(measured.profile!)) process.stderr.write(`profile: ${line}\n`);
const result = {
  engine: 'alexnet-workbench',
  device: backend.device,
  features,
  preset,
  batch,
  train_img_s: Math.round(measured.train * 10) / 10,
  fwd_img_s: Math.round(measured.forward * 10) / 10,
  gpu_allocated_mb: measured.gpuAllocatedBytes === undefined ? undefined : Math.round(measured.gpuAllocatedBytes / 2 ** 20),
  profile_ms: measured.profile!.totalMs,
  kernels: measured.profile!.kernels,
};
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
