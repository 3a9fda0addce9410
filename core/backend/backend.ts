// Chooses the TensorFlow.js backend: WebGPU on a hardware GPU (Dawn's `webgpu` package in Node, navigator.gpu in a
// page), the CPU engine (TensorFlow.js' wasm backend with core/cpu's kernels), TensorFlow.js' JavaScript CPU backend
// (the slow reference), or the optional tfjs-node-gpu.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The umbrella package's Node bundle registers every op's gradient with tfjs-core (the ESM gradient modules of
// tfjs-core use directory imports that Node refuses).
import '@tensorflow/tfjs';

import { MAX_THREADS, startCpuEngine } from '../cpu/engine';
import { registerGpuKernels } from '../gpu/kernels';

/**
 * 'auto': WebGPU on a hardware GPU, else the CPU engine. 'webgpu': WebGPU on any adapter, software ones included.
 * 'wasm': the CPU engine (WebAssembly SIMD, threads). 'cpu': TensorFlow.js' JavaScript backend, the slow reference.
 */
export type BackendRequest = 'auto' | 'webgpu' | 'wasm' | 'cpu' | 'tensorflow';
export const BACKEND_REQUESTS: BackendRequest[] = ['auto', 'webgpu', 'wasm', 'cpu', 'tensorflow'];

/** The environment variable that sets the CPU engine's thread count (the CLI's --threads sets it too). */
export const THREADS_VARIABLE = 'ALEXNET_THREADS';

export interface BackendInfo {
  /** The tfjs backend name in use: 'webgpu', 'wasm', 'cpu' or 'tensorflow'. */
  name: string;
  /** The adapter or device in words, e.g. 'nvidia (vulkan)' or 'CPU (WebAssembly SIMD, 2 threads)'. */
  device: string;
  /** Set when the backend in use is not what was asked for, or is slow: shown to the user. */
  notice?: string;
  /** True on a hardware GPU; false on the CPU and on software adapters (lavapipe, SwiftShader), where the paper's model is slow. */
  accelerated: boolean;
}

let webgpuInstalled: Promise<GPUAdapterInfo | undefined> | undefined;
/** True when WebGPU is Dawn's, in Node (not a page's navigator.gpu). */
let dawnInNode = false;

/** Exposes Dawn's WebGPU as `navigator.gpu` in Node (a browser or Electron page already has it). */
async function installNodeWebGpu(): Promise<GPUAdapterInfo | undefined> {
  const g = globalThis as { navigator?: { gpu?: GPU }; process?: { versions?: { electron?: string } } };
  if (!g.navigator?.gpu) {
    // Inside Electron the `webgpu` package cannot work (Electron refuses the external buffers it hands out); there
    // only Chromium's own navigator.gpu, in a window, is WebGPU.
    if (g.process?.versions?.electron) return undefined;
    const dawn = await import('webgpu');
    dawnInNode = true;
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = await g.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' });
  return adapter?.info;
}

/**
 * Dawn prints two lines of its own to stderr on Mesa's lavapipe, which nothing in JavaScript can hold back
 * ("maxDynamicUniformBuffersPerPipelineLayout artificially reduced ..."); the notice says once what they mean.
 */
const DAWN_WARNINGS = " Dawn's 'artificially reduced' warnings before this line are about limits this adapter reports beyond what Dawn supports; they are harmless.";

function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? parts.join(' ') : 'unnamed WebGPU adapter';
}

/** Software renderers (Mesa's lavapipe, Chromium's SwiftShader): correct, and far slower than the CPU engine. */
function softwareAdapter(info: GPUAdapterInfo, device: string): boolean {
  return (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software/i.test(device);
}

/** WebGPU on the adapter found; with `hardwareOnly`, a software adapter is refused (and nothing is started). */
async function tryWebGpu(hardwareOnly: boolean): Promise<BackendInfo | string> {
  try {
    webgpuInstalled ??= installNodeWebGpu();
    const info = await webgpuInstalled;
    if (!info) return 'no WebGPU adapter was found';
    const device = describeAdapter(info);
    const software = softwareAdapter(info, device);
    if (software && hardwareOnly) return `the only WebGPU adapter is a software renderer (${device})`;
    await import('@tensorflow/tfjs-backend-webgpu');
    await registerGpuKernels();
    if (!(await tf.setBackend('webgpu'))) return 'the WebGPU backend failed to initialise';
    await tf.ready();
    watchDevice((tf.backend() as unknown as { device: GPUDevice }).device);
    return {
      name: 'webgpu',
      device,
      accelerated: !software,
      ...(software ? { notice: `WebGPU runs on a software renderer (${device}): correct but slow.${dawnInNode ? DAWN_WARNINGS : ''}` } : {}),
    };
  } catch (error) {
    return `WebGPU could not start: ${(error as Error).message}`;
  }
}

async function tryTensorflow(): Promise<BackendInfo | string> {
  try {
    // Optional: a user may add @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1). Untested in this project's CI.
    const moduleName = '@tensorflow/tfjs-node-gpu';
    await import(/* @vite-ignore */ moduleName);
    if (!(await tf.setBackend('tensorflow'))) return 'the tfjs-node-gpu backend failed to initialise';
    return { name: 'tensorflow', device: 'TensorFlow (tfjs-node-gpu, CUDA)', accelerated: true };
  } catch (error) {
    return `@tensorflow/tfjs-node-gpu is not installed or failed to load (${(error as Error).message.split('\n')[0]})`;
  }
}

/** The CPU engine's thread count from $ALEXNET_THREADS, or undefined (all of the host's) when it is not set. */
export function threadsFromEnvironment(): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[THREADS_VARIABLE];
  if (value === undefined || value === '') return undefined;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(`${THREADS_VARIABLE}='${value}' is not allowed; use a whole number of threads from 1 to ${MAX_THREADS}.`);
  }
  return threads;
}

async function tryWasm(): Promise<BackendInfo | string> {
  try {
    const started = await startCpuEngine(threadsFromEnvironment());
    const threads = `${started.threads} thread${started.threads === 1 ? '' : 's'}`;
    return { name: 'wasm', device: `CPU (WebAssembly SIMD, ${threads})`, accelerated: false, ...(started.notice ? { notice: started.notice } : {}) };
  } catch (error) {
    return `the CPU engine (WebAssembly SIMD) could not start: ${(error as Error).message}`;
  }
}

async function useCpu(notice?: string): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  // The CPU backend advertises tfjs-node on first use; that package needs a libtensorflow download, so we say our own.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  await tf.ready();
  return { name: 'cpu', device: 'CPU (TensorFlow.js JavaScript backend)', accelerated: false, ...(notice ? { notice } : {}) };
}

/**
 * Selects and initialises a backend. 'auto' takes WebGPU on a hardware GPU, else the CPU engine (WebAssembly SIMD on
 * every core), else, with a notice, TensorFlow.js' JavaScript backend.
 */
export async function selectBackend(request: BackendRequest): Promise<BackendInfo> {
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new Error(`Backend '${String(request)}' is not known; use one of ${BACKEND_REQUESTS.join(', ')}.`);
  }
  if (request === 'cpu') return useCpu();
  if (request === 'tensorflow' || request === 'wasm' || request === 'webgpu') {
    const result = request === 'tensorflow' ? await tryTensorflow() : request === 'wasm' ? await tryWasm() : await tryWebGpu(false);
    if (typeof result === 'string') throw new Error(`Backend '${request}' is not available: ${result}.`);
    return result;
  }
  const gpu = await tryWebGpu(true);
  if (typeof gpu !== 'string') return gpu;
  const wasm = await tryWasm();
  if (typeof wasm !== 'string') return { ...wasm, notice: [`No hardware GPU (${gpu}): computing on the CPU engine.`, wasm.notice].filter(Boolean).join(' ') };
  return useCpu(`No GPU (${gpu}) and ${wasm}: computing on TensorFlow.js' JavaScript backend, which is much slower.`);
}

let deviceLost: GPUDeviceLostInfo | undefined;
let deviceError: GPUError | undefined;

/**
 * TensorFlow.js neither watches its WebGPU device nor reports its errors: after a loss every read rejects with no
 * message, and an allocation that fails only prints a warning. Both are kept here, for `gpuFailure` to explain.
 */
function watchDevice(device: GPUDevice): void {
  void device.lost.then((info) => (deviceLost = info));
  device.onuncapturederror = (event) => {
    deviceError ??= event.error;
  };
}

/** True once the WebGPU device is lost: nothing more can run on it in this process. */
export function gpuLost(): boolean {
  return deviceLost !== undefined;
}

/**
 * What went wrong with the GPU since the last call, in words, or undefined: the device was lost (a driver reset, a
 * GPU taken away) or an operation failed (out of memory). Clears a reported error; a loss stays.
 */
export function gpuFailure(): { kind: 'lost' | 'out-of-memory' | 'error'; message: string } | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined; // e.g. resumed on the CPU after the GPU was lost
  if (deviceLost) return { kind: 'lost', message: `the GPU device was lost (${deviceLost.reason}${deviceLost.message ? `: ${deviceLost.message}` : ''})` };
  const error = deviceError;
  deviceError = undefined;
  if (!error) return undefined;
  const outOfMemory = error.constructor?.name === 'GPUOutOfMemoryError' || /out of memory|OutOfMemory/i.test(error.message);
  return outOfMemory ? { kind: 'out-of-memory', message: `the GPU ran out of memory (${error.message})` } : { kind: 'error', message: `the GPU reported an error (${error.message})` };
}

/**
 * The largest buffer one WebGPU binding may hold on the device in use (tfjs asks for the adapter's own limit), or
 * undefined on backends without such a limit. Software adapters allow 128 MiB, less than the paper's fc6 weights.
 */
export function bufferLimitBytes(): number | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  return device?.limits.maxStorageBufferBindingSize;
}
