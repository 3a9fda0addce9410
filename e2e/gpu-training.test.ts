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
      const events: TrainEvent[] = [];
      const session = startTraining(workspace, log, info, { dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: 2, batchSize: 4 }, seed: 13 }, (e: TrainEvent) => {
        events.push(e);
        if (e.type === 'step') seen.push(e.loss);
      });
      expect((await session.done).outcome).toBe('completed');
      // On WebGPU each step is accounted after the next is queued: still every step once, in order, each epoch's
      // report after its own steps and with their mean loss.
      const order = events.filter((e) => e.type === 'step' || e.type === 'epoch').map((e) => (e.type === 'step' ? `s${e.globalStep}` : `e${e.epoch}`));
      expect(order, backend).toEqual(['s1', 's2', 's3', 'e1', 's4', 's5', 's6', 'e2']);
      const epochs = events.filter((e) => e.type === 'epoch');
      epochs.forEach((e, i) => expect(e.trainLoss, `${backend} epoch ${i + 1}`).toBeCloseTo((seen[3 * i]! + seen[3 * i + 1]! + seen[3 * i + 2]!) / 3, 5));
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
