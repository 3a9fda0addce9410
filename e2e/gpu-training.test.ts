// A quick-preset run trained on WebGPU with the engine's own kernels (training crops made on the GPU from the cache's
// uint8 records, LRN one dispatch each way) follows the CPU engine's run of the same seed: the same data order,
// crops, reflections, colour shifts and dropout masks, so the same losses to float32 rounding, step by step.
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../core/backend/backend';
import { importDataset } from '../core/dataset/import';
import { RunLog } from '../core/runlog/run-log';
import { startTraining } from '../core/service/local-training';
import type { TrainEvent } from '../core/train/events';
import { recordDataset } from '../core/workbench/record-dataset';
import { openWorkspace } from '../core/workspace';
import { smallDataset, tempHome } from './fixtures';

afterAll(async () => {
  await selectBackend('wasm');
});

describe('training on WebGPU with the engine kernels', () => {
  it("follows the CPU engine's losses for the same seed, step by step", async (context) => {
    const gpu = await selectBackend('webgpu').catch((error: Error) => error.message);
    if (typeof gpu === 'string') return context.skip(`no WebGPU here: ${gpu}`);
    const workspace = openWorkspace(tempHome());
    const log = RunLog.open(workspace.database);
    const dataset = await importDataset(smallDataset(3, 4, 1), workspace.datasets);
    recordDataset(log, dataset);
    const losses = async (backend: 'webgpu' | 'wasm') => {
      const info = await selectBackend(backend);
      const seen: number[] = [];
      const session = startTraining(workspace, log, info, { dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: 2, batchSize: 4 }, seed: 13 }, (e: TrainEvent) => {
        if (e.type === 'step') seen.push(e.loss);
      });
      expect((await session.done).outcome).toBe('completed');
      return seen;
    };
    const onGpu = await losses('webgpu');
    const onCpu = await losses('wasm');
    console.log(`gpu-training: ${onGpu.map((l) => l.toFixed(5)).join(' ')} (CPU engine ${onCpu.map((l) => l.toFixed(5)).join(' ')})`);
    expect(onGpu).toHaveLength(6);
    onGpu.forEach((loss, i) => expect(Math.abs(loss - onCpu[i]!), `step ${i + 1}`).toBeLessThan(2e-3 * Math.abs(onCpu[i]!)));
    log.close();
    dataset.close();
  });
});
