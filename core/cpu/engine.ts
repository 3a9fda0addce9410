// Starts the CPU engine: TensorFlow.js' wasm backend (XNNPACK, WebAssembly SIMD) with this engine's kernels in place
// of its slow or missing ones, and a pool of worker threads where the host has them.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdSupported } from './kernel-module';
import { ThreadPool } from './thread-pool';
import { activeCpuEngine, attachCpuEngine } from './wasm-kernels';

/** Most threads the engine uses, whatever the machine has. */
export const MAX_THREADS = 64;

let pool: { threads: number; pool: ThreadPool | undefined } | undefined;

/** The host's logical processors: Node's availableParallelism, a page's hardwareConcurrency, or 1. */
export async function hostThreads(): Promise<number> {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (process?.versions?.node) {
    try {
      const os = (await import(/* @vite-ignore */ 'node:os')) as unknown as { availableParallelism?: () => number; cpus: () => unknown[] };
      return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    } catch {
      // a bundle without Node's modules: fall through
    }
  }
  return Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
}

export interface CpuEngineStart {
  /** Threads the kernels run on (1 where worker threads or shared memory are not available). */
  threads: number;
  /** Why fewer threads than asked for are in use, if so. */
  notice?: string;
}

/**
 * Makes the wasm backend with this engine's kernels the TensorFlow.js backend, on `threads` threads (default: all
 * of the host's). Throws, saying why, where WebAssembly SIMD is missing or the backend cannot start.
 */
export async function startCpuEngine(threads?: number): Promise<CpuEngineStart> {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)) {
    throw new Error(`Thread count ${threads} is not allowed; use 1 to ${MAX_THREADS}.`);
  }
  if (!simdSupported()) throw new Error('this JavaScript engine has no WebAssembly SIMD (Node 16.4 or a current browser has it)');
  const wanted = threads ?? Math.min(await hostThreads(), MAX_THREADS);
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error("TensorFlow.js' wasm backend failed to initialise");
  await tf.ready();
  let notice: string | undefined;
  if (!pool || pool.threads !== wanted) {
    await pool?.pool?.dispose();
    const created = wanted > 1 ? await ThreadPool.create(wanted) : undefined;
    if (wanted > 1 && !created) notice = `worker threads or shared memory are not available here, so the CPU engine runs on 1 thread of ${wanted}`;
    pool = { threads: wanted, pool: created };
  }
  const engine = attachCpuEngine(tf.backend() as unknown as BackendWasm, pool.pool);
  return { threads: engine.pool?.threads ?? 1, ...(notice ? { notice } : {}) };
}

/** Threads of the CPU engine in use, or undefined when the backend in use is not this engine. */
export function cpuEngineThreads(): number | undefined {
  const engine = activeCpuEngine();
  return engine ? (engine.pool?.threads ?? 1) : undefined;
}

/** Bytes of the CPU engine's memories in use: the wasm backend's heap and the thread pool's shared memory. */
export function cpuEngineMemory(): { heapBytes: number; poolBytes: number } | undefined {
  const engine = activeCpuEngine();
  if (!engine) return undefined;
  return { heapBytes: engine.module.HEAPU8.byteLength, poolBytes: engine.pool?.memory.buffer.byteLength ?? 0 };
}
