// Where a training step's time goes, kernel by kernel: TensorFlow.js' profiler around the forward and backward pass
// (on WebGPU each kernel is timed on the GPU by timestamp queries where the device has them; elsewhere by the clock),
// and the optimizer's update, which runs its programs outside the profiler's kernels, timed as one row.
import * as tf from '@tensorflow/tfjs-core';

export interface KernelTime {
  /** The kernel's registered name ('Conv2D', 'AlexNetConvBiasRelu', ...), or UPDATE_ROW. */
  name: string;
  /** Calls in the step. */
  calls: number;
  /** Milliseconds of all its calls. */
  ms: number;
}

export interface StepProfile {
  /** Largest first. */
  kernels: KernelTime[];
  /** Sum of the kernels' times, milliseconds. */
  totalMs: number;
  /** False where the backend gave no time for any kernel (WebGPU without timestamp queries reports zeros). */
  timed: boolean;
}

export const UPDATE_ROW = 'optimizer update';

/** A profiler record: a kernel's name and its time, or the reason it has none. */
export interface KernelRecord {
  name: string;
  kernelTimeMs: number | { error: string };
}

/** The records summed by kernel name, largest time first (then by name); a record without a time counts as 0 ms. */
export function byKernel(records: readonly KernelRecord[]): KernelTime[] {
  const rows = new Map<string, KernelTime>();
  for (const record of records) {
    const ms = typeof record.kernelTimeMs === 'number' && Number.isFinite(record.kernelTimeMs) ? record.kernelTimeMs : 0;
    const row = rows.get(record.name) ?? { name: record.name, calls: 0, ms: 0 };
    row.calls += 1;
    row.ms += ms;
    rows.set(record.name, row);
  }
  return [...rows.values()].sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
}

/**
 * Profiles one step: `gradients` (forward and backward, returning the loss and the gradients) under the profiler,
 * then `update` (given the gradients) timed as one row. Every tensor either makes is disposed.
 */
export async function profileStep(
  gradients: () => { value: tf.Scalar; grads: tf.NamedTensorMap },
  update: (grads: tf.NamedTensorMap) => void,
): Promise<StepProfile> {
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  try {
    const info = await tf.profile(() => {
      result = gradients();
      return [result.value, ...Object.values(result.grads)];
    });
    const updated = await tf.time(() => update(result!.grads));
    await result!.value.data(); // the step's work is done before its tensors go
    const kernels = byKernel([...(info.kernels as unknown as KernelRecord[]), { name: UPDATE_ROW, kernelTimeMs: updated.kernelMs }]);
    const totalMs = kernels.reduce((sum, k) => sum + k.ms, 0);
    return { kernels, totalMs, timed: totalMs > 0 };
  } finally {
    if (result) tf.dispose([result.value, ...Object.values(result.grads)]);
  }
}

/** The profile as lines of text: each kernel's calls, milliseconds and share of the step. */
export function formatProfile(profile: StepProfile): string[] {
  if (!profile.timed) return ['kernel times unavailable: this backend timed no kernel (WebGPU needs the timestamp-query feature)'];
  const width = Math.max(...profile.kernels.map((k) => k.name.length), 6);
  const lines = [`${'kernel'.padEnd(width)}  calls        ms   share`];
  for (const k of profile.kernels) {
    lines.push(`${k.name.padEnd(width)}  ${String(k.calls).padStart(5)}  ${k.ms.toFixed(3).padStart(8)}  ${((100 * k.ms) / profile.totalMs).toFixed(1).padStart(5)} %`);
  }
  lines.push(`${'total'.padEnd(width)}  ${String(profile.kernels.reduce((n, k) => n + k.calls, 0)).padStart(5)}  ${profile.totalMs.toFixed(3).padStart(8)}  100.0 %`);
  return lines;
}
