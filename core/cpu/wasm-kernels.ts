// The CPU engine's kernels for TensorFlow.js' wasm backend: the convolutions and their gradients, matrix products,
// max-pool and LRN gradients and LRN itself, on the SIMD module (kernels/*.c) instead of the stock ones.
//
// The stock wasm backend lacks Conv2DBackpropFilter; its input gradient and transposed matrix products are scalar
// loops (about 1 GFLOP/s); its MaxPoolGrad sends a window of zeros' gradient to element 0 of the tensor. The kernels
// here run on the backend's own heap (no copies) on one thread, or on a pool of worker threads over a shared memory
// (inputs copied in, outputs copied out) when the work is large enough to pay for the copies.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { CONV_SHAPE_INTS, instantiateKernels, MATMUL_WORK_FLOATS, type KernelExports, type ParallelKernel, type Pointer, type WasmMemory } from './kernel-module';
import type { ThreadPool } from './thread-pool';

type TensorInfo = tf.TensorInfo;
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/** What the engine uses of the Emscripten module behind the wasm backend (its typings omit the heap and malloc). */
interface WasmBackendModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  asm: { memory: WasmMemory };
}

/** The engine attached to one wasm backend: its heap's kernels, a scratch block there, and the thread pool. */
export interface CpuEngine {
  backend: BackendWasm;
  module: WasmBackendModule;
  /** The kernels over the backend's own heap. */
  local: KernelExports;
  /** Worker threads, when there are more than one. */
  pool: ThreadPool | undefined;
  scratch: { pointer: Pointer; bytes: number };
  /** The stock kernels replaced here, for the cases these do not cover (NCHW, dilation, beta other than 3/4). */
  stock: Map<string, tf.KernelConfig>;
}

const engines = new WeakMap<object, CpuEngine>();

/** Multiply-adds per byte copied above which a kernel goes to the thread pool; below it the copies cost more. */
const POOL_FLOPS_PER_BYTE = 16;
const POOL_MIN_FLOPS = 4e6;

/** 'auto' sends large products to the pool; 'always' sends every parallel kernel there (tests of the pool). */
let poolPolicy: 'auto' | 'always' = 'auto';

/** Sets when kernels run on the thread pool (tests use 'always' to check the pooled path on small shapes). */
export function setPoolPolicy(policy: 'auto' | 'always'): void {
  poolPolicy = policy;
}

function engineOf(backend: tf.KernelBackend): CpuEngine {
  const engine = engines.get(backend);
  if (!engine) throw new Error('The CPU engine was not started on this wasm backend.');
  return engine;
}

function heap(engine: CpuEngine): Uint8Array {
  return engine.module.HEAPU8;
}

function offsetOf(engine: CpuEngine, info: TensorInfo): Pointer {
  return engine.backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

/** A block of at least `bytes` in the backend's heap, kept between calls (grown, never shrunk). */
function localScratch(engine: CpuEngine, bytes: number): Pointer {
  if (engine.scratch.bytes < bytes) {
    if (engine.scratch.bytes > 0) engine.module._free(engine.scratch.pointer);
    const size = Math.max(bytes, engine.scratch.bytes * 2, 1 << 20);
    const pointer = engine.module._malloc(size) >>> 0;
    if (pointer === 0) throw new Error(`The CPU engine could not allocate ${(size / 2 ** 20).toFixed(0)} MiB of scratch memory.`);
    engine.scratch = { pointer, bytes: size };
  }
  return engine.scratch.pointer;
}

const floatBytes = (n: number) => n * 4;

/** Where a kernel runs: its buffers' pointers in the memory it runs on, and how to call a parallel export. */
interface Placement {
  inputs: Pointer[];
  outputs: Pointer[];
  /** Scratch for the kernel; `ints` are written at its start (the ConvShape), floats follow at `scratch`. */
  scratch: Pointer;
  ints: Pointer;
  threads: number;
  run(kernel: ParallelKernel, args: number[]): void;
}

interface Job {
  inputs: { info: TensorInfo; bytes: number }[];
  outputs: { info: TensorInfo; bytes: number }[];
  ints?: number[];
  /** Bytes of float scratch for a given thread count. */
  scratchBytes(threads: number): number;
  /** Multiply-adds, to choose between one thread and the pool. */
  flops: number;
  /** False for kernels that call the heap's exports directly and so always run on one thread. */
  parallel?: boolean;
  body(place: Placement): void;
}

/** Runs a job on the backend's heap, or on the pool when it is worth the copies. */
function execute(engine: CpuEngine, job: Job): void {
  const copied = [...job.inputs, ...job.outputs].reduce((sum, b) => sum + b.bytes, 0);
  const pool = engine.pool;
  const intBytes = Math.ceil(((job.ints?.length ?? 0) * 4) / 64) * 64;
  const worth = job.flops >= POOL_MIN_FLOPS && job.flops >= POOL_FLOPS_PER_BYTE * copied;
  if (pool && job.parallel !== false && (worth || poolPolicy === 'always')) {
    try {
      const inputs = job.inputs.map((b) => {
        const pointer = pool.allocate(b.bytes);
        pool.bytes().set(heap(engine).subarray(offsetOf(engine, b.info), offsetOf(engine, b.info) + b.bytes), pointer);
        return pointer;
      });
      const outputs = job.outputs.map((b) => pool.allocate(b.bytes));
      const ints = pool.allocate(intBytes + job.scratchBytes(pool.threads));
      if (job.ints) new Int32Array(pool.memory.buffer, ints, job.ints.length).set(job.ints);
      job.body({ inputs, outputs, scratch: ints + intBytes, ints, threads: pool.threads, run: (kernel, args) => pool.run(kernel, args) });
      const shared = pool.bytes();
      job.outputs.forEach((b, i) => heap(engine).set(shared.subarray(outputs[i]!, outputs[i]! + b.bytes), offsetOf(engine, b.info)));
    } finally {
      pool.release();
    }
    return;
  }
  const ints = localScratch(engine, intBytes + job.scratchBytes(1));
  if (job.ints) new Int32Array(heap(engine).buffer, ints, job.ints.length).set(job.ints);
  const kernels = engine.local as unknown as Record<string, (...values: number[]) => void>;
  job.body({
    inputs: job.inputs.map((b) => offsetOf(engine, b.info)),
    outputs: job.outputs.map((b) => offsetOf(engine, b.info)),
    scratch: ints + intBytes,
    ints,
    threads: 1,
    run: (kernel, args) => kernels[kernel]!(...args, 0, 1),
  });
}

function stock(engine: CpuEngine, name: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  const config = engine.stock.get(name);
  if (!config) throw new Error(`The wasm backend has no kernel '${name}' for this case.`);
  return config.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
}

/** The 13 ints of the C side's ConvShape. */
function convShape(info: tf.backend_util.Conv2DInfo): number[] {
  const shape = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left];
  if (shape.length !== CONV_SHAPE_INTS) throw new Error('ConvShape has 13 fields.');
  return shape;
}

/** Float scratch per thread of a convolution (conv_work_floats in conv.c). */
function convWorkFloats(info: tf.backend_util.Conv2DInfo): number {
  return MATMUL_WORK_FLOATS + 64 * info.filterHeight * info.filterWidth * info.inChannels;
}

/**
 * Positions per block of the filter gradient's sum: at most 64 blocks, each a whole number of conv.c's 64-row
 * chunks (so that small layers still split evenly over a few threads). Chosen from the shape alone, so that the
 * sum's order, and so its bits, do not depend on the thread count.
 */
function filterGradientBlock(positions: number): number {
  const rows = 64;
  return Math.max(rows, Math.ceil(Math.ceil(positions / 64) / rows) * rows);
}

/** Conv2DInfo when this engine covers the case (NHWC, no dilation, float32), else undefined. */
function convInfo(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap, dtypes: string[]): tf.backend_util.Conv2DInfo | undefined {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
  const dilations = (attrs as unknown as tf.Conv2DAttrs).dilations ?? 1;
  if (dtypes.some((d) => d !== 'float32')) return undefined;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC');
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, false, format);
  if (info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  return info;
}

function conv2D(args: KernelArgs): TensorInfo | TensorInfo[] {
  const engine = engineOf(args.backend);
  const { x, filter } = args.inputs as unknown as { x: TensorInfo; filter: TensorInfo };
  const info = convInfo(x.shape, filter.shape, args.attrs ?? {}, [x.dtype, filter.dtype]);
  if (!info) return stock(engine, 'Conv2D', args);
  const out = engine.backend.makeOutput(info.outShape, 'float32');
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  if (positions === 0 || info.outChannels === 0) return out;
  execute(engine, {
    inputs: [{ info: x, bytes: floatBytes(tf.util.sizeFromShape(x.shape)) }, { info: filter, bytes: floatBytes(K * info.outChannels) }],
    outputs: [{ info: out, bytes: floatBytes(positions * info.outChannels) }],
    ints: convShape(info),
    scratchBytes: (threads) => floatBytes(threads * convWorkFloats(info)),
    flops: positions * K * info.outChannels,
    body: ({ inputs, outputs, ints, scratch, run }) => run('conv_forward', [ints, inputs[0]!, inputs[1]!, outputs[0]!, scratch]),
  });
  return out;
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo | TensorInfo[] {
  const engine = engineOf(args.backend);
  const { dy, filter } = args.inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
  const inputShape = (args.attrs as unknown as tf.Conv2DBackpropInputAttrs).inputShape;
  const info = convInfo(inputShape, filter.shape, { ...args.attrs, dilations: 1 }, [dy.dtype, filter.dtype]);
  if (!info) return stock(engine, 'Conv2DBackpropInput', args);
  const out = engine.backend.makeOutput(info.inShape, 'float32');
  const inputSize = tf.util.sizeFromShape(info.inShape);
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const positions = info.batchSize * info.outHeight * info.outWidth;
  if (inputSize === 0) return out;
  if (positions === 0 || info.outChannels === 0 || K === 0) {
    heap(engine).fill(0, offsetOf(engine, out), offsetOf(engine, out) + floatBytes(inputSize));
    return out;
  }
  execute(engine, {
    inputs: [{ info: dy, bytes: floatBytes(positions * info.outChannels) }, { info: filter, bytes: floatBytes(K * info.outChannels) }],
    outputs: [{ info: out, bytes: floatBytes(inputSize) }],
    ints: convShape(info),
    // The transposed filter [out channels, K], then each thread's work.
    scratchBytes: (threads) => floatBytes(K * info.outChannels + threads * convWorkFloats(info)),
    flops: positions * K * info.outChannels,
    body: ({ inputs, outputs, ints, scratch, run }) => {
      const transposed = scratch;
      run('transpose', [inputs[1]!, K, info.outChannels, transposed]);
      run('conv_input_grad', [ints, inputs[0]!, transposed, outputs[0]!, transposed + floatBytes(K * info.outChannels)]);
    },
  });
  return out;
}

function conv2DBackpropFilter(args: KernelArgs): TensorInfo | TensorInfo[] {
  const engine = engineOf(args.backend);
  const { x, dy } = args.inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const filterShape = (args.attrs as unknown as tf.Conv2DBackpropFilterAttrs).filterShape;
  const info = convInfo(x.shape, filterShape, { ...args.attrs, dilations: 1 }, [x.dtype, dy.dtype]);
  if (!info) return stock(engine, 'Conv2DBackpropFilter', args);
  const out = engine.backend.makeOutput(filterShape, 'float32');
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const size = K * info.outChannels;
  const positions = info.batchSize * info.outHeight * info.outWidth;
  if (size === 0) return out;
  if (positions === 0) {
    heap(engine).fill(0, offsetOf(engine, out), offsetOf(engine, out) + floatBytes(size));
    return out;
  }
  const block = filterGradientBlock(positions);
  const blocks = Math.ceil(positions / block);
  execute(engine, {
    inputs: [{ info: x, bytes: floatBytes(tf.util.sizeFromShape(x.shape)) }, { info: dy, bytes: floatBytes(positions * info.outChannels) }],
    outputs: [{ info: out, bytes: floatBytes(size) }],
    ints: convShape(info),
    // The partial filters of blocks 1.., then each thread's work.
    scratchBytes: (threads) => floatBytes((blocks - 1) * size + threads * convWorkFloats(info)),
    flops: positions * K * info.outChannels,
    body: ({ inputs, outputs, ints, scratch, run }) => {
      const partials = scratch;
      run('conv_filter_grad', [ints, inputs[0]!, inputs[1]!, outputs[0]!, partials, block, partials + floatBytes((blocks - 1) * size)]);
      if (blocks > 1) run('sum_partials', [outputs[0]!, partials, blocks - 1, size]);
    },
  });
  return out;
}

function batchMatMul(args: KernelArgs): TensorInfo | TensorInfo[] {
  const engine = engineOf(args.backend);
  const { a, b } = args.inputs as unknown as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(engine, 'BatchMatMul', args);
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const K = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const kb = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
  const M = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const N = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  if (K !== kb) {
    throw new Error(`Error in matMul: inner shapes (${K}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  // Batches broadcast by repeating the smaller one, as the stock kernel does; other broadcasts are left to it.
  if (batch % batchA !== 0 || batch % batchB !== 0) return stock(engine, 'BatchMatMul', args);
  const out = engine.backend.makeOutput([...outer, M, N], 'float32');
  if (batch * M * N === 0) return out;
  if (K === 0) {
    heap(engine).fill(0, offsetOf(engine, out), offsetOf(engine, out) + floatBytes(batch * M * N));
    return out;
  }
  execute(engine, {
    inputs: [{ info: a, bytes: floatBytes(batchA * M * K) }, { info: b, bytes: floatBytes(batchB * K * N) }],
    outputs: [{ info: out, bytes: floatBytes(batch * M * N) }],
    scratchBytes: (threads) => floatBytes(threads * MATMUL_WORK_FLOATS),
    flops: batch * M * N * K,
    body: ({ inputs, outputs, scratch, run }) => {
      for (let i = 0; i < batch; i++) {
        const pa = inputs[0]! + floatBytes((i % batchA) * M * K);
        const pb = inputs[1]! + floatBytes((i % batchB) * K * N);
        run('matmul', [M, N, K, pa, transposeA ? 1 : 0, pb, transposeB ? 1 : 0, outputs[0]! + floatBytes(i * M * N), scratch]);
      }
    },
  });
  return out;
}

function maxPoolGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const engine = engineOf(args.backend);
  const { dy, input } = args.inputs as unknown as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') return stock(engine, 'MaxPoolGrad', args);
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const out = engine.backend.makeOutput(input.shape, 'float32');
  const size = tf.util.sizeFromShape(input.shape);
  if (size === 0) return out;
  execute(engine, {
    inputs: [{ info: input, bytes: floatBytes(size) }, { info: dy, bytes: floatBytes(tf.util.sizeFromShape(dy.shape)) }],
    outputs: [{ info: out, bytes: floatBytes(size) }],
    scratchBytes: () => 0,
    flops: 0, // a few comparisons per value: never worth the copies to the pool
    body: ({ inputs, outputs, run }) =>
      run('max_pool_grad', [inputs[0]!, inputs[1]!, outputs[0]!, info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left]),
  });
  return out;
}

/** The LRN cases this engine covers: float32 and the paper's beta of 3/4. */
function lrnCovered(attrs: tf.LRNAttrs, dtypes: string[]): boolean {
  return attrs.beta === 0.75 && dtypes.every((d) => d === 'float32');
}

function lrn(args: KernelArgs): TensorInfo | TensorInfo[] {
  const engine = engineOf(args.backend);
  const { x } = args.inputs as unknown as { x: TensorInfo };
  const attrs = args.attrs as unknown as tf.LRNAttrs;
  if (!lrnCovered(attrs, [x.dtype])) return stock(engine, 'LRN', args);
  const channels = x.shape[x.shape.length - 1]!;
  const size = tf.util.sizeFromShape(x.shape);
  const out = engine.backend.makeOutput(x.shape, 'float32');
  if (size === 0) return out;
  const radius = attrs.depthRadius;
  execute(engine, {
    inputs: [{ info: x, bytes: floatBytes(size) }],
    outputs: [{ info: out, bytes: floatBytes(size) }],
    scratchBytes: (threads) => floatBytes(threads * engine.local.lrn_work_floats(channels, radius)),
    flops: 0,
    parallel: false,
    body: ({ inputs, outputs, scratch }) => engine.local.lrn_forward(inputs[0]!, outputs[0]!, size / channels, channels, radius, attrs.bias, attrs.alpha, scratch, 0, 1),
  });
  return out;
}

function lrnGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const engine = engineOf(args.backend);
  const { x, y, dy } = args.inputs as unknown as { x: TensorInfo; y: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.LRNGradAttrs;
  if (!lrnCovered(attrs, [x.dtype, y.dtype, dy.dtype])) return stock(engine, 'LRNGrad', args);
  const channels = x.shape[x.shape.length - 1]!;
  const size = tf.util.sizeFromShape(x.shape);
  const out = engine.backend.makeOutput(x.shape, 'float32');
  if (size === 0) return out;
  const radius = attrs.depthRadius;
  execute(engine, {
    inputs: [x, y, dy].map((info) => ({ info, bytes: floatBytes(size) })),
    outputs: [{ info: out, bytes: floatBytes(size) }],
    scratchBytes: (threads) => floatBytes(threads * engine.local.lrn_work_floats(channels, radius)),
    flops: 0,
    parallel: false,
    body: ({ inputs, outputs, scratch }) =>
      engine.local.lrn_backward(inputs[0]!, inputs[1]!, inputs[2]!, outputs[0]!, size / channels, channels, radius, attrs.bias, attrs.alpha, scratch, 0, 1),
  });
  return out;
}

const KERNELS: Record<string, (args: KernelArgs) => TensorInfo | TensorInfo[]> = {
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  BatchMatMul: batchMatMul,
  MaxPoolGrad: maxPoolGrad,
  LRN: lrn,
  LRNGrad: lrnGrad,
};

/** The kernels this engine puts in place of the wasm backend's own. */
export const REPLACED_KERNELS = Object.keys(KERNELS);

/**
 * Attaches the engine to an initialised wasm backend and registers its kernels (once per process; a later call with
 * another pool replaces the pool). Returns the engine.
 */
export function attachCpuEngine(backend: BackendWasm, pool: ThreadPool | undefined): CpuEngine {
  let engine = engines.get(backend);
  if (engine) {
    engine.pool = pool;
    return engine;
  }
  const module = backend.wasm as unknown as WasmBackendModule;
  const stockKernels = new Map<string, tf.KernelConfig>();
  for (const name of REPLACED_KERNELS) {
    const config = tf.getKernel(name, 'wasm');
    if (config && !ourKernel(config)) stockKernels.set(name, config);
  }
  engine = { backend, module, local: instantiateKernels(module.asm.memory), pool, scratch: { pointer: 0, bytes: 0 }, stock: stockKernels };
  engines.set(backend, engine);
  for (const [name, kernelFunc] of Object.entries(KERNELS)) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  return engine;
}

function ourKernel(config: tf.KernelConfig): boolean {
  return Object.values(KERNELS).includes(config.kernelFunc as unknown as (args: KernelArgs) => TensorInfo);
}

/** The engine attached to the backend in use, if it is the wasm backend with this engine. */
export function activeCpuEngine(): CpuEngine | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return engines.get(tf.backend());
}
