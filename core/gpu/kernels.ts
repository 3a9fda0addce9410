// The engine's own WebGPU kernels, registered over TensorFlow.js's where they do better, for Node's Dawn and a page's
// WebGPU alike (the desktop app's compute window runs the same code).
import { registerConvKernels } from './conv';
import { registerCropKernel } from './crops';
import { registerLrnKernels } from './lrn';
import { registerMatMulKernels } from './matmul';
import { registerPoolKernels } from './pool';

export async function registerGpuKernels(): Promise<void> {
  registerConvKernels();
  registerMatMulKernels();
  await registerLrnKernels();
  await registerPoolKernels();
  await registerCropKernel();
}
