// The largest tensors a model needs at a batch size, checked against the GPU's per-buffer limit before any work.
//
// WebGPU caps the size of one storage buffer binding; TensorFlow.js reports an oversized tensor only as a validation
// error on the console and computes nothing, so the check must come first and say what to change.
import { towerWidths, type ModelConfig } from './config';
import { parameterSpecs } from './alexnet';
import { parameterPieces } from './pieces';

export interface TensorSize {
  name: string;
  bytes: number;
}

/**
 * Parameters as the device holds them (fc6 and fc7 of two towers in tower halves), with their gradients and optimizer
 * slots of the same size, and the largest activations at this batch size.
 */
export function largestTensors(config: ModelConfig, batch: number): TensorSize[] {
  const sizes: TensorSize[] = parameterPieces(config, parameterSpecs(config)).map((p) => ({ name: `parameter ${p.name}`, bytes: 4 * p.shape.reduce((a, b) => a * b, 1) }));
  const [w1, w2] = towerWidths(config) as [number, number];
  const conv1 = Math.floor((config.cropSize - 11) / 4) + 1;
  const [window, stride] = config.overlappingPooling ? [3, 2] : [2, 2];
  const pool1 = Math.floor((conv1 - window) / stride) + 1;
  const pool2 = Math.floor((pool1 - window) / stride) + 1;
  sizes.push({ name: 'input batch', bytes: 4 * batch * config.cropSize * config.cropSize * 3 });
  sizes.push({ name: 'conv1 output of a tower', bytes: 4 * batch * conv1 * conv1 * w1 });
  sizes.push({ name: 'conv2 output of a tower', bytes: 4 * batch * pool1 * pool1 * w2 });
  sizes.push({ name: 'conv3 input', bytes: 4 * batch * pool2 * pool2 * w2 * config.towers });
  return sizes.sort((a, b) => b.bytes - a.bytes);
}

const mib = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / 1024 / 1024).toFixed(0)} MiB`);

/** Throws a clear error when a tensor of this model at this batch size cannot fit one GPU buffer. */
export function checkBufferLimit(config: ModelConfig, batch: number, limit: number | undefined, device = 'this GPU'): void {
  if (limit === undefined) return;
  const tooLarge = largestTensors(config, batch).filter((t) => t.bytes > limit);
  if (tooLarge.length === 0) return;
  const parameter = tooLarge.find((t) => t.name.startsWith('parameter'));
  const worst = parameter ?? tooLarge[0]!;
  const fits = (b: number) => largestTensors(config, b).every((t) => t.bytes <= limit);
  let most = 0;
  for (let low = 1, high = batch - 1; low <= high; ) {
    const mid = Math.floor((low + high) / 2);
    if (fits(mid)) [most, low] = [mid, mid + 1];
    else high = mid - 1;
  }
  const fix = parameter
    ? `This adapter cannot hold the ${config.preset === 'paper' ? "paper's" : "model's"} weights: use a GPU with larger buffers, the CPU engine (--backend wasm), or the quick preset.`
    : `Use a batch of at most ${most} images (--batch-size ${most}), or the CPU engine (--backend wasm).`;
  throw new Error(`The ${worst.name} needs ${mib(worst.bytes)}, more than the ${mib(limit)} that one buffer may hold on ${device}. ${fix}`);
}
