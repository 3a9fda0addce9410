// For the test files of the WebGPU kernels: whether this machine has a WebGPU adapter, found once per file.
import { afterAll, beforeAll } from 'vitest';
import { selectBackend } from '../backend/backend';

/**
 * Registers hooks that try the webgpu backend before the file's tests (then go back to the CPU backend, which the
 * tests switch from) and return to the CPU backend after them. The result gives why WebGPU is missing, or undefined
 * where it works, for a test to report itself skipped with the reason.
 */
export function webGpuUnderTest(): () => string | undefined {
  let missing: string | undefined;
  beforeAll(async () => {
    missing = await selectBackend('webgpu').then(
      () => undefined,
      (error: Error) => error.message,
    );
    await selectBackend('cpu');
  });
  afterAll(async () => {
    await selectBackend('cpu');
  });
  return () => missing;
}
