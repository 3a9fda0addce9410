// Chooses the TensorFlow.js backend: WebGPU through Dawn (the `webgpu` package), optional tfjs-node-gpu, or the CPU.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The umbrella package's Node bundle registers every op's gradient with tfjs-core (the ESM gradient modules of
// tfjs-core use directory imports that Node refuses).
import '@tensorflow/tfjs';

export type BackendRequest = 'auto' | 'webgpu' | 'cpu' | 'tensorflow';
export const BACKEND_REQUESTS: BackendRequest[] = ['auto', 'webgpu', 'cpu', 'tensorflow'];

export interface BackendInfo {
  /** The tfjs backend name in use: 'webgpu', 'cpu' or 'tensorflow'. */
  name: string;
  /** The adapter or device in words, e.g. 'nvidia (vulkan)' or 'llvmpipe, software Vulkan'. */
  device: string;
  /** Set when the backend in use is not what was asked for, or is slow: shown to the user. */
  notice?: string;
}

let webgpuInstalled: Promise<GPUAdapterInfo | undefined> | undefined;

/** Exposes Dawn's WebGPU as `navigator.gpu` in Node (a browser or Electron page already has it). */
async function installNodeWebGpu(): Promise<GPUAdapterInfo | undefined> {
  const g = globalThis as { navigator?: { gpu?: GPU }; process?: { versions?: { electron?: string } } };
  if (!g.navigator?.gpu) {
    // Inside Electron the `webgpu` package cannot work (Electron refuses the external buffers it hands out); there
    // only Chromium's own navigator.gpu, in a window, is WebGPU.
    if (g.process?.versions?.electron) return undefined;
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = await g.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' });
  return adapter?.info;
}

function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? parts.join(' ') : 'unnamed WebGPU adapter';
}

async function tryWebGpu(): Promise<BackendInfo | string> {
  try {
    webgpuInstalled ??= installNodeWebGpu();
    const info = await webgpuInstalled;
    if (!info) return 'no WebGPU adapter was found (on Linux without a GPU, install Mesa 25 mesa-vulkan-drivers for lavapipe)';
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return 'the WebGPU backend failed to initialise';
    await tf.ready();
    watchDevice((tf.backend() as unknown as { device: GPUDevice }).device);
    const device = describeAdapter(info);
    const software = /llvmpipe|lavapipe|swiftshader/i.test(device);
    return {
      name: 'webgpu',
      device,
      ...(software ? { notice: `WebGPU runs on a software renderer (${device}): correct but slow.` } : {}),
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
    return { name: 'tensorflow', device: 'TensorFlow (tfjs-node-gpu, CUDA)' };
  } catch (error) {
    return `@tensorflow/tfjs-node-gpu is not installed or failed to load (${(error as Error).message.split('\n')[0]})`;
  }
}

async function useCpu(notice?: string): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  // The CPU backend advertises tfjs-node on first use; that package needs a libtensorflow download, so we say our own.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  await tf.ready();
  return { name: 'cpu', device: 'CPU (TensorFlow.js JavaScript backend)', ...(notice ? { notice } : {}) };
}

/** Selects and initialises a backend. 'auto' tries WebGPU, then falls back to the CPU with a notice. */
export async function selectBackend(request: BackendRequest): Promise<BackendInfo> {
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new Error(`Backend '${String(request)}' is not known; use one of ${BACKEND_REQUESTS.join(', ')}.`);
  }
  if (request === 'cpu') return useCpu();
  if (request === 'tensorflow') {
    const result = await tryTensorflow();
    if (typeof result === 'string') throw new Error(`Backend 'tensorflow' is not available: ${result}.`);
    return result;
  }
  const result = await tryWebGpu();
  if (typeof result !== 'string') return result;
  if (request === 'webgpu') throw new Error(`Backend 'webgpu' is not available: ${result}.`);
  return useCpu(`No GPU backend: ${result}. Falling back to the CPU, which is much slower.`);
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
