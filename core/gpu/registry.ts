// Where the engine's WebGPU kernels go over TensorFlow.js's: the stock kernel under each replaced name is kept, for
// the inputs ours don't take (a dilated convolution, a broadcast batch of matrix products).
import * as tf from '@tensorflow/tfjs-core';

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
export type Kernel = (args: KernelArgs) => tf.TensorInfo;

const stock = new Map<string, tf.KernelFunc>();

/** Registers each kernel for the webgpu backend under its name, keeping the one it replaces the first time. */
export function registerWebGpuKernels(kernels: [string, Kernel][]): void {
  for (const [kernelName, kernelFunc] of kernels) {
    const existing = tf.getKernel(kernelName, 'webgpu');
    if (existing && !stock.has(kernelName) && existing.kernelFunc !== (kernelFunc as unknown)) stock.set(kernelName, existing.kernelFunc);
    if (existing) tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}

/** TensorFlow.js's own kernel under `kernelName`, which ours replaced. */
export function stockKernel(kernelName: string): tf.KernelFunc {
  const kernel = stock.get(kernelName);
  if (!kernel) throw new Error(`No stock WebGPU kernel '${kernelName}' was replaced.`);
  return kernel;
}
