// A model of one training step's speed that needs no GPU: every kernel of a step of the paper's model, with its
// arithmetic (FLOPs), its compulsory memory traffic (each tensor read or written once), its dispatches, and the time a
// roofline gives it on a device: max(FLOPs / (peak * efficiency), bytes / (bandwidth * efficiency)) plus a fixed cost
// per dispatch. Two kernel sets side by side: the stock TensorFlow.js WebGPU kernels as the engine composes them
// today, with efficiencies calibrated on the measured stock profile (STOCK_PROFILE), and the kernels issue 16 plans,
// with efficiencies that are design targets, not measurements.
import { chooseKPerSplit, TILE_M, TILE_N } from '../gpu/gemm';
import { layerShapes, type ModelConfig } from '../model/config';

export interface Device {
  name: string;
  /** fp32 FLOP/s. */
  peakFlops: number;
  /** Bytes/s of device memory. */
  bandwidth: number;
  /** Seconds a dispatch costs beyond its work (encoding, a uniform buffer and a bind group, the launch). */
  dispatchSeconds: number;
  /** Threads resident at once (SMs x threads per SM): a dispatch of more runs in waves. */
  residentThreads: number;
}

/** An NVIDIA H100 (SXM): 67 TFLOP/s fp32 without tensor cores, 3.35 TB/s. */
export const H100: Device = { name: 'NVIDIA H100 (fp32, 3.35 TB/s)', peakFlops: 67e12, bandwidth: 3.35e12, dispatchSeconds: 10e-6, residentThreads: 132 * 2048 };

/** PyTorch with cuDNN on an H100, one training step of the paper's model at batch 128 (measured, bench/alexnet_torch.py). */
export const PYTORCH_STEP_SECONDS = 16.8e-3;

/** The stock kernels' profile on an H100 (issue 16, read from a timestamp-query profile of stock tfjs 4.22). */
export const STOCK_PROFILE = { conv1FilterGradient: 168e-3, lrnGradient: 283e-3, pool1Gradient: 34e-3, step: 800e-3 } as const;

export type KernelClass = 'conv' | 'conv-input-gradient' | 'conv-filter-gradient' | 'matmul' | 'elementwise' | 'lrn' | 'lrn-gradient' | 'pool' | 'pool-gradient' | 'reduction' | 'update';

export interface Kernel {
  name: string;
  kind: KernelClass;
  flops: number;
  bytes: number;
  dispatches: number;
  /** Threads per dispatch. */
  threads: number;
  /**
   * A kernel whose threads each loop serially (the stock filter gradient: one thread per weight, looping over batch x
   * output positions): its time is waves x iterations x one iteration's latency, whatever the roofline says.
   */
  serialIterations?: number;
  /** In the planned set: whether the engine has the kernel already (core/gpu), or it is still to be built. */
  built?: boolean;
}

/**
 * The planned kernels the engine has (core/gpu): convolutions on the GEMM core with bias and ReLU fused, LRN both ways,
 * max pooling with its argmax and the gradient from it, the gradients through the ReLU.
 */
const BUILT = /^conv\d (forward|filter gradient|input gradient|ReLU \+ bias gradient)$|LRN|^pool\d (forward|gradient)$|^fc\d (forward|input gradient|weight gradient|bias gradient|dropout|dropout gradient)$|^optimizer update$/;

export interface Efficiencies {
  /** Seconds of one serial iteration of a looping kernel (its loads' latency, not their bandwidth). */
  serialIteration: number;
  /** Fraction of peak FLOP/s a compute-bound kernel of the class reaches. */
  compute: Record<KernelClass, number>;
  /** Fraction of the bandwidth a memory-bound kernel of the class reaches. */
  memory: Record<KernelClass, number>;
}

export interface KernelTime extends Kernel {
  seconds: number;
  bound: 'compute' | 'memory' | 'latency' | 'dispatch';
}

const F32 = 4;
const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * The kernels of one training step (forward, backward, update) of `config` at `batch`, in the order they run.
 * `fused`: the planned kernel set (bias and ReLU inside the convolution's epilogue, LRN and its gradient one kernel
 * each, pooling that records its argmax, one update over all parameters); otherwise the stock composition.
 */
export function stepKernels(config: ModelConfig, batch: number, fused: boolean): Kernel[] {
  const shapes = new Map(layerShapes(config).map((l) => [l.name, l.shape]));
  const towers = config.towers;
  const kernels: Kernel[] = [];
  // Threads: a planned GEMM has one 256-thread workgroup per 64x64 output tile (4x4 outputs a thread); a one-pass
  // kernel one thread per 4 elements (vec4); `threads` below overrides.
  const add = (name: string, kind: KernelClass, flops: number, bytes: number, dispatches = 1, threads?: number, serialIterations?: number) =>
    kernels.push({ name, kind, flops, bytes, dispatches, threads: Math.ceil(threads ?? bytes / F32 / 4 / dispatches), ...(serialIterations ? { serialIterations } : {}) });
  const maps = (name: string) => batch * product(shapes.get(name)!) * towers; // both towers' elements
  const crop = config.cropSize;
  const inputs = [batch * crop * crop * 3, maps('pool1'), maps('pool2'), maps('conv3'), maps('conv4')];
  const inChannels = [3, shapes.get('conv1')![2]!, shapes.get('conv2')![2]! * towers, shapes.get('conv3')![2]!, shapes.get('conv4')![2]!];
  const kernelSide = [11, 5, 3, 3, 3];
  const convs = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5'];
  const weights = convs.map((_, i) => kernelSide[i]! ** 2 * inChannels[i]! * shapes.get(convs[i]!)![2]! * towers);
  const convFlops = convs.map((c, i) => 2 * maps(c) * kernelSide[i]! ** 2 * inChannels[i]!);
  const fc = [
    ['fc6', maps('pool5') / batch, config.fcWidths[0]],
    ['fc7', config.fcWidths[0], config.fcWidths[1]],
    ['fc8', config.fcWidths[1], config.classes],
  ] as const;
  const elementwise = (name: string, elements: number, tensors: number, dispatches = 1) => add(name, 'elementwise', elements, elements * F32 * tensors, dispatches);
  const lrnLayers = config.lrn ? ['conv1', 'conv2'] : [];

  // Forward.
  convs.forEach((c, i) => {
    add(`${c} forward`, 'conv', convFlops[i]!, (inputs[i]! + weights[i]! + maps(c)) * F32, towers);
    if (!fused) elementwise(`${c} bias + ReLU`, maps(c), 4, 2 * towers);
    if (lrnLayers.includes(c)) {
      if (fused) add(`${c} LRN`, 'lrn', maps(c) * 12, maps(c) * F32 * 2, towers);
      else add(`${c} LRN (square, band product, scale, power, divide)`, 'lrn', maps(c) * 12, maps(c) * F32 * 3 * 6, 6 * towers);
    }
    const pool = { conv1: 'pool1', conv2: 'pool2', conv5: 'pool5' }[c];
    // Planned (core/gpu/pool.ts): one pass records each window's argmax, a second gathers the maxima from it (a
    // WebGPU program of TensorFlow.js has one output).
    if (pool) add(`${pool} forward`, 'pool', maps(pool) * 9, (maps(c) + maps(pool) * (fused ? 4 : 1)) * F32, fused ? 2 * towers : towers);
  });
  // Planned (core/gpu/matmul.ts): fc6 and fc7 of two towers as two halves (each tower's neurons see the whole
  // input), each product on the GEMM core with the bias (and ReLU) in its store, or in the split sums where a long
  // reduction over few tiles splits; a split's partial results are written and read once more.
  const halves = (name: string) => (name === 'fc8' ? 1 : towers);
  const gemm = (label: string, name: string, m: number, n: number, k: number, bytes: number, others: number) => {
    const copies = halves(name);
    const splits = Math.ceil(k / chooseKPerSplit(m, n / copies, k));
    const tiles = Math.ceil(m / TILE_M) * Math.ceil(n / copies / TILE_N);
    add(label, 'matmul', 2 * m * n * k, bytes + (splits > 1 ? 2 * splits * m * n * F32 : 0), copies * (splits > 1 ? 2 : 1) + others, tiles * splits * 256 * copies);
  };
  for (const [name, n, m] of fc) {
    if (fused) gemm(`${name} forward`, name, batch, m, n, (batch * n + n * m + batch * m) * F32, halves(name) > 1 ? 1 : 0); // + joining the halves
    else add(`${name} forward`, 'matmul', 2 * batch * n * m, (batch * n + n * m + batch * m) * F32);
    if (!fused) elementwise(`${name} bias${name === 'fc8' ? '' : ' + ReLU + dropout'}`, batch * m, name === 'fc8' ? 3 : 6, name === 'fc8' ? 1 : 3);
    else if (name !== 'fc8') elementwise(`${name} dropout`, batch * m, 3);
  }
  add('softmax + cross-entropy', 'reduction', batch * config.classes * 10, batch * config.classes * F32 * 2, fused ? 1 : 6);

  // Backward, last layer first.
  for (const [name, n, m] of [...fc].reverse()) {
    if (fused) {
      // The halves' dy sliced apart, their input gradients summed; the products read dy through the ReLU.
      const copies = halves(name);
      if (name !== 'fc8') elementwise(`${name} dropout gradient`, batch * m, 3);
      gemm(`${name} input gradient`, name, batch, n * copies, m / copies, (batch * m + n * m + batch * n * copies) * F32, copies > 1 ? 2 * copies - 1 : 0);
      gemm(`${name} weight gradient`, name, n, m, batch, (batch * m * (name === 'fc8' ? 1 : 2) + batch * n + n * m) * F32, 0);
      add(`${name} bias gradient`, 'reduction', batch * m, (batch * m * (name === 'fc8' ? 1 : 2) + m) * F32, batch <= 1024 ? copies : 2 * copies);
      continue;
    }
    add(`${name} input gradient`, 'matmul', 2 * batch * n * m, (batch * m + n * m + batch * n) * F32);
    add(`${name} weight gradient`, 'matmul', 2 * batch * n * m, (batch * m + batch * n + n * m) * F32);
    add(`${name} bias gradient`, 'reduction', batch * m, (batch * m + m) * F32);
    if (name !== 'fc8') elementwise(`${name} ReLU + dropout gradient`, batch * n, 4, 2);
  }
  [...convs].reverse().forEach((c) => {
    const i = convs.indexOf(c);
    const pool = { conv1: 'pool1', conv2: 'pool2', conv5: 'pool5' }[c];
    if (pool) {
      // Stock: the forward pass recomputed to find each window's maximum, then a gather over the windows.
      add(`${pool} gradient`, 'pool-gradient', maps(pool) * 9 * (fused ? 1 : 2), (maps(c) * (fused ? 1 : 2) + maps(pool) * (fused ? 2 : 3)) * F32, towers);
    }
    if (lrnLayers.includes(c)) {
      if (fused) add(`${c} LRN gradient`, 'lrn-gradient', maps(c) * 30, maps(c) * F32 * 4, towers);
      else add(`${c} LRN gradient (composed)`, 'lrn-gradient', maps(c) * 30, maps(c) * F32 * 3 * 15, 15 * towers);
    }
    // Planned (core/gpu/conv.ts): the gradients read dy where the output is positive as they load it (the output's
    // bytes are counted with each of them below); the bias gradient is per-channel partial sums, then their sum.
    add(`${c} ReLU + bias gradient`, fused ? 'reduction' : 'elementwise', maps(c) * 2, maps(c) * F32 * (fused ? 2 : 4), fused ? 2 * towers : 3 * towers);
    // Stock: one thread per weight, each looping over batch x output positions; planned: an implicit GEMM with split-K.
    const perTower = weights[i]! / towers;
    const traffic = (inputs[i]! + maps(c) * (fused ? 2 : 1) + weights[i]!) * F32;
    if (fused) {
      // The GEMM core's split-K (core/gpu/conv.ts): taps x Co per tower, reduced over batch x positions in splits that
      // each write a partial result, summed by a second dispatch.
      const [taps, co, positions] = [kernelSide[i]! ** 2 * inChannels[i]!, shapes.get(c)![2]!, maps(c) / towers / shapes.get(c)![2]!];
      const splits = Math.ceil(positions / chooseKPerSplit(taps, co, positions));
      const tiles = Math.ceil(taps / TILE_M) * Math.ceil(co / TILE_N);
      add(`${c} filter gradient`, 'conv-filter-gradient', convFlops[i]!, traffic + 2 * splits * weights[i]! * F32, 2 * towers, tiles * splits * 256);
    } else add(`${c} filter gradient`, 'conv-filter-gradient', convFlops[i]!, traffic, towers, perTower, maps(c) / towers / shapes.get(c)![2]!);
    // conv1's input is the image: its gradient is never needed.
    if (c !== 'conv1') add(`${c} input gradient`, 'conv-input-gradient', convFlops[i]!, (maps(c) * (fused ? 2 : 1) + weights[i]! + inputs[i]!) * F32, towers);
  });

  // Update: the paper's SGD with momentum, as the reference trains. Planned (core/gpu/update.ts): in place, one pass
  // per rewritten tensor of each variable (model/pieces.ts: each tower's conv kernel and bias, fc6's and fc7's halves,
  // fc8), as a TensorFlow.js WebGPU program writes one output: the velocity from the gradient, the weight and itself,
  // then the weight from itself and the velocity; 7 words per parameter either way.
  const parameters = weights.reduce((a, b) => a + b, 0) + fc.reduce((a, [, n, m]) => a + n * m + m, 0) + [...convs].reduce((a, c) => a + shapes.get(c)![2]! * towers, 0);
  const variables = convs.length * towers * 2 + (towers > 1 ? 2 * 2 * towers : 4) + 2;
  add('optimizer update', 'update', parameters * 10, parameters * F32 * 7, fused ? 2 * variables : 16 * 11);
  if (fused) for (const k of kernels) k.built = BUILT.test(k.name);
  return kernels;
}

/** Every kernel's predicted time on `device` with `efficiency`. */
export function predict(kernels: readonly Kernel[], device: Device, efficiency: Efficiencies): KernelTime[] {
  return kernels.map((k) => {
    const compute = k.flops / (device.peakFlops * efficiency.compute[k.kind]);
    const memory = k.bytes / (device.bandwidth * efficiency.memory[k.kind]);
    const dispatch = k.dispatches * device.dispatchSeconds;
    // A looping kernel: its dispatches one after another, each in waves of the resident threads.
    const serial = k.serialIterations ? k.dispatches * Math.ceil(k.threads / device.residentThreads) * k.serialIterations * efficiency.serialIteration : 0;
    const work = Math.max(compute, memory, serial);
    const seconds = work + dispatch;
    const bound = dispatch > work ? 'dispatch' : serial === work ? 'latency' : compute >= memory ? 'compute' : 'memory';
    return { ...k, seconds, bound };
  });
}

const ALL = <T>(value: T): Record<KernelClass, T> => ({
  conv: value, 'conv-input-gradient': value, 'conv-filter-gradient': value, matmul: value, elementwise: value,
  lrn: value, 'lrn-gradient': value, pool: value, 'pool-gradient': value, reduction: value, update: value,
});

/**
 * The planned kernels' efficiencies: design targets (issue 16), not measurements. A tiled fp32 GEMM with workgroup
 * memory and register blocking at 30 % of peak for every convolution and fully connected layer (split-K for the
 * filter gradient); one-pass kernels at 70 % of the bandwidth.
 */
export const PLANNED: Efficiencies = {
  serialIteration: 0,
  compute: { ...ALL(0.3), elementwise: 1, lrn: 1, 'lrn-gradient': 1, pool: 1, 'pool-gradient': 1, reduction: 1, update: 1 },
  memory: ALL(0.7),
};

/**
 * The stock kernels' efficiencies, calibrated on STOCK_PROFILE: the filter gradient's serial iteration from conv1's
 * (17,424 threads a tower, 387,200 iterations each, its two towers one after the other), LRN's gradient
 * from its measured total, the pooling gradient from pool1's, and one efficiency for the rest of the step (forward
 * and input-gradient convolutions, matmuls) so that the step sums to the measured 800 ms.
 */
export function calibrateStock(config: ModelConfig, batch: number, device: Device): Efficiencies {
  const kernels = stepKernels(config, batch, false);
  const find = (name: string) => kernels.find((k) => k.name === name)!;
  const less = (k: Kernel, seconds: number) => seconds - k.dispatches * device.dispatchSeconds;
  const filter = find('conv1 filter gradient');
  const lrn = kernels.filter((k) => k.kind === 'lrn-gradient');
  const pool = find('pool1 gradient');
  const efficiency: Efficiencies = { serialIteration: 0, compute: { ...PLANNED.compute }, memory: { ...PLANNED.memory } };
  const waves = Math.ceil(filter.threads / device.residentThreads);
  efficiency.serialIteration = less(filter, STOCK_PROFILE.conv1FilterGradient) / (filter.dispatches * waves * filter.serialIterations!);
  const lrnBytes = lrn.reduce((a, k) => a + k.bytes, 0);
  efficiency.memory['lrn-gradient'] = lrnBytes / (device.bandwidth * (STOCK_PROFILE.lrnGradient - lrn.reduce((a, k) => a + k.dispatches, 0) * device.dispatchSeconds));
  efficiency.memory['pool-gradient'] = pool.bytes / (device.bandwidth * less(pool, STOCK_PROFILE.pool1Gradient));
  // The rest: one compute efficiency for conv forward, conv input gradient, matmul and (where not latency-bound) the
  // filter gradient, found by bisection.
  const rest: KernelClass[] = ['conv', 'conv-input-gradient', 'matmul', 'conv-filter-gradient'];
  let [low, high] = [1e-5, 1];
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(low * high);
    for (const kind of rest) efficiency.compute[kind] = mid;
    const total = predict(kernels, device, efficiency).reduce((a, k) => a + k.seconds, 0);
    if (total > STOCK_PROFILE.step) low = mid;
    else high = mid;
  }
  return efficiency;
}

export interface StepPrediction {
  kernels: KernelTime[];
  seconds: number;
  flops: number;
  bytes: number;
  dispatches: number;
}

export function summarise(kernels: KernelTime[]): StepPrediction {
  const sum = (f: (k: KernelTime) => number) => kernels.reduce((a, k) => a + f(k), 0);
  return { kernels, seconds: sum((k) => k.seconds), flops: sum((k) => k.flops), bytes: sum((k) => k.bytes), dispatches: sum((k) => k.dispatches) };
}
