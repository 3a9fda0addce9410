// The CPU engine's WebAssembly module (kernels/*.c): compiled once per process, instantiated over a memory it imports.
import { KERNELS_PLAIN, KERNELS_SHARED } from './kernel-binary';

/** A pointer into the kernels' memory, in bytes. */
export type Pointer = number;

/** A WebAssembly memory, as far as the engine uses one. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** A compiled WebAssembly module (opaque; it may be sent to a worker). */
export type WasmModule = { readonly __compiledModule: unique symbol };

/**
 * The parts of the WebAssembly API the engine uses. Every JavaScript context it runs in has WebAssembly; TypeScript
 * declares it only in the DOM's library, which the engine's Node code does not see.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What the module exports (see the C sources for each function's contract). */
export interface KernelExports {
  matmul(M: number, N: number, K: number, A: Pointer, transposeA: number, B: Pointer, transposeB: number, C: Pointer, work: Pointer, thread: number, threads: number): void;
  conv_work_floats(shape: Pointer): number;
  conv_forward(shape: Pointer, x: Pointer, w: Pointer, y: Pointer, work: Pointer, thread: number, threads: number): void;
  conv_input_grad(shape: Pointer, dy: Pointer, wt: Pointer, dx: Pointer, work: Pointer, thread: number, threads: number): void;
  conv_filter_grad(shape: Pointer, x: Pointer, dy: Pointer, dw: Pointer, partials: Pointer, block: number, work: Pointer, thread: number, threads: number): void;
  sum_partials(out: Pointer, partials: Pointer, count: number, n: number, thread: number, threads: number): void;
  transpose(src: Pointer, rows: number, cols: number, dst: Pointer, thread: number, threads: number): void;
  max_pool_grad(x: Pointer, dy: Pointer, dx: Pointer, batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number, filterHeight: number, filterWidth: number, strideHeight: number, strideWidth: number, padTop: number, padLeft: number, thread: number, threads: number): void;
  lrn_work_floats(channels: number, radius: number): number;
  lrn_forward(x: Pointer, y: Pointer, pixels: number, channels: number, radius: number, bias: number, alpha: number, work: Pointer, thread: number, threads: number): void;
  lrn_backward(x: Pointer, y: Pointer, dy: Pointer, dx: Pointer, pixels: number, channels: number, radius: number, bias: number, alpha: number, work: Pointer, thread: number, threads: number): void;
  sgd_update(w: Pointer, g: Pointer, v: Pointer, n: number, momentum: number, decayTimesRate: number, rate: number, thread: number, threads: number): void;
  adam_update(w: Pointer, g: Pointer, m: Pointer, v: Pointer, n: number, decay: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, correction2: number, epsilon: number, step: number, thread: number, threads: number): void;
  squared_distances(database: Pointer, count: number, dimension: number, query: Pointer, out: Pointer, thread: number, threads: number): void;
}

/** The names of the exports that take (thread, threads) last and so may run on a pool of threads. */
export type ParallelKernel = {
  [K in keyof KernelExports]: KernelExports[K] extends (...args: [...infer _A, number, number]) => void ? K : never;
}[keyof KernelExports];

/** Geometry of a convolution as the C side's ConvShape reads it: 13 int32 values. */
export const CONV_SHAPE_INTS = 13;
/** Floats of scratch one thread needs for a matrix product (GEMM_WORK in simd.h). */
export const MATMUL_WORK_FLOATS = 256 * 256;

function decode(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

let plainModule: WasmModule | undefined;
let sharedModule: WasmModule | undefined;

/** True where this JavaScript engine runs WebAssembly SIMD (every current browser, Node 16.4 and newer). */
export function simdSupported(): boolean {
  try {
    kernelModule(false);
    return true;
  } catch {
    return false;
  }
}

/** The compiled module for a plain or a shared memory (compiled on first use, then kept). */
export function kernelModule(shared: boolean): WasmModule {
  if (shared) return (sharedModule ??= new webAssembly.Module(decode(KERNELS_SHARED)));
  return (plainModule ??= new webAssembly.Module(decode(KERNELS_PLAIN)));
}

/** An instance of the kernels over `memory` (shared or not, as the memory is). */
export function instantiateKernels(memory: WasmMemory): KernelExports {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const instance = new webAssembly.Instance(kernelModule(shared), { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
