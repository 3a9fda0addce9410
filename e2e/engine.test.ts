// End to end through the engine: import real photos, train a few steps, stop with a checkpoint, resume, evaluate,
// and check the resumed run is the uninterrupted run, step for step, on TensorFlow.js' JavaScript backend, on the CPU engine and on WebGPU (lavapipe).
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendInfo } from '../core/backend/backend';
import { importDataset } from '../core/dataset/import';
import type { Dataset } from '../core/dataset/dataset';
import { evaluate } from '../core/evaluate/evaluate';
import { RunLog } from '../core/runlog/run-log';
import type { TrainEvent } from '../core/train/events';
import { readCheckpoint } from '../core/train/checkpoint';
import { loadRun, queryPixels } from '../core/workbench/run-files';
import { resumeTraining, startTraining } from '../core/service/local-training';
import type { TrainingRequest } from '../core/workbench/training';
import { featuresFile, neighbours, predict } from '../core/compute/lookup';
import { openWorkspace, runDirectory, type Workspace } from '../core/workspace';
import { smallDataset, tempHome } from './fixtures';
import { recordDataset } from '../core/workbench/record-dataset';

for (const backendName of ['cpu', 'wasm', 'webgpu'] as const) {
  describe(`engine end to end on ${backendName}`, () => {
    let backend: BackendInfo | undefined;
    let workspace: Workspace;
    let log: RunLog;
    let dataset: Dataset;

    beforeAll(async () => {
      try {
        backend = await selectBackend(backendName);
      } catch {
        backend = undefined; // no adapter: the tests below report themselves skipped
      }
      workspace = openWorkspace(tempHome());
      log = RunLog.open(workspace.database);
      // 3 classes x 6 training photos, 2 test photos each: 18 training images, batch 6, 3 steps per epoch.
      dataset = await importDataset(smallDataset(3, 6, 2), workspace.datasets);
      recordDataset(log, dataset);
    });

    afterAll(() => {
      log?.close();
      dataset?.close();
    });

    const request = (): TrainingRequest => ({ dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: 2, batchSize: 6 }, seed: 7 });

    it('says whether it computes on a hardware GPU, and explains what Dawn prints about a software adapter', (context) => {
      if (!backend) return context.skip(`no ${backendName} backend here`);
      const software = /llvmpipe|lavapipe|swiftshader/i.test(backend.device);
      expect(backend.accelerated).toBe(backendName === 'webgpu' && !software);
      if (backendName === 'webgpu' && software) expect(backend.notice).toMatch(/correct but slow\. Dawn's 'artificially reduced' warnings before this line .* harmless\.$/);
    });

    it('trains, stops with a checkpoint, resumes exactly, evaluates and looks inside', async (context) => {
      if (!backend) return context.skip(`no ${backendName} backend here`);
      // Uninterrupted: 2 epochs of 3 steps.
      const straightLosses: number[] = [];
      const tensorCounts: number[] = [];
      const straight = startTraining(workspace, log, backend, request(), (e: TrainEvent) => {
        if (e.type === 'step') {
          straightLosses.push(e.loss);
          // Seen as the app sees it, just after the step: after an epoch's last step evaluation has begun.
          if (e.stepInEpoch < e.stepsPerEpoch) tensorCounts.push(tf.memory().numTensors);
        }
      });
      const straightResult = await straight.done;
      expect(straightResult.outcome).toBe('completed');
      expect(straightLosses).toHaveLength(6);
      // No tensor leak: the count after every step is the same.
      expect(tensorCounts).toHaveLength(4);
      expect(new Set(tensorCounts).size).toBe(1);

      // Interrupted after 4 steps (mid-epoch 2), then resumed from the checkpoint.
      const firstLosses: number[] = [];
      const first = startTraining(workspace, log, backend, { ...request(), maxSteps: 4 }, (e) => {
        if (e.type === 'step') firstLosses.push(e.loss);
      });
      const firstResult = await first.done;
      expect(firstResult.outcome).toBe('stopped');
      expect(log.getRun(first.runId)!.status).toBe('stopped');
      const checkpoint = readCheckpoint(firstResult.lastCheckpoint!);
      expect(checkpoint.position).toEqual({ epoch: 1, stepInEpoch: 1, globalStep: 4 });
      const resumedLosses: number[] = [];
      const resumed = resumeTraining(workspace, log, backend, first.runId, {}, (e) => {
        if (e.type === 'step') resumedLosses.push(e.loss);
      });
      expect((await resumed.done).outcome).toBe('completed');
      const combined = [...firstLosses, ...resumedLosses];
      expect(combined).toHaveLength(6);
      // Same seed, same data, same backend: the same run. Bit-identical on the CPU backends (their sums run in an
      // order fixed by the shapes alone); within float noise (4 decimals) on a GPU.
      if (backendName === 'webgpu') combined.forEach((loss, i) => expect(loss).toBeCloseTo(straightLosses[i]!, 4));
      else expect(combined).toEqual(straightLosses);

      // The run log has the whole history of both runs.
      for (const id of [straight.runId, first.runId]) {
        const run = log.getRun(id)!;
        expect(run.status).toBe('completed');
        expect(log.epochMetrics(id).map((e) => e.epoch)).toEqual([1, 2]);
        expect(log.stepMetrics(id)).toHaveLength(6);
        expect(log.kernelSnapshots(id).length).toBeGreaterThanOrEqual(2);
      }

      // Evaluation, prediction and neighbours from the stored run.
      const loaded = loadRun(log, straight.runId);
      try {
        const test = loaded.dataset.entries('test');
        const centre = await evaluate(loaded.model, loaded.source, test, loaded.transform);
        const ten = await evaluate(loaded.model, loaded.source, test, loaded.transform, { crops: 'ten' });
        // Each test image predicted on its own (the look-up's path): the confusion (rows true, columns predicted) and
        // the top-1 error follow from those predictions.
        for (const [result, crops] of [[centre, 'centre'], [ten, 'ten']] as const) {
          const confusion = [0, 1, 2].map(() => [0, 0, 0]);
          for (let index = 0; index < test.length; index++) {
            const [best] = await predict(loaded, await queryPixels(loaded, { split: 'test', index }), crops, 1);
            confusion[test[index]!.label]![best!.labelIndex]!++;
          }
          expect(result.count).toBe(6);
          expect(result.confusion, crops).toEqual(confusion);
          expect(result.top1Error).toBeCloseTo(1 - (confusion[0]![0]! + confusion[1]![1]! + confusion[2]![2]!) / 6, 10);
          expect(result.top5Error).toBe(0); // 3 classes: the true class is always in the top 5
        }
        const pixels = await queryPixels(loaded, { split: 'test', index: 0 });
        const top = await predict(loaded, pixels);
        expect(top).toHaveLength(3);
        expect(top.reduce((s, p) => s + p.probability, 0)).toBeCloseTo(1, 5);
        const near = await neighbours(loaded, featuresFile(runDirectory(workspace, straight.runId)), await queryPixels(loaded, { split: 'train', index: 2 }), 4, 2);
        expect(near.byFeatures).toHaveLength(4);
        expect(near.byPixels).toHaveLength(4);
        // A training image is not its own neighbour.
        const self = loaded.dataset.entries('train')[2]!.path;
        expect(near.byFeatures.map((n) => n.path)).not.toContain(self);

        // The same network made to answer class 1 for every image: its confusion is column 1 holding each class's
        // count (rows are the true classes), whatever it learned.
        tf.tidy(() => {
          const fc8 = loaded.model.parameter('fc8/kernel');
          fc8.assign(tf.zerosLike(fc8));
          loaded.model.parameter('fc8/bias').assign(tf.tensor1d([0, 10, 0]));
        });
        const constant = await evaluate(loaded.model, loaded.source, test, loaded.transform);
        const perClass = [0, 1, 2].map((c) => test.filter((e) => e.label === c).length);
        expect(perClass.filter((n) => n > 0).length).toBeGreaterThan(1);
        expect(constant.confusion).toEqual(perClass.map((n) => [0, n, 0]));
        expect(constant.top1Error).toBeCloseTo(1 - perClass[1]! / 6, 10);
      } finally {
        loaded.dispose();
      }
    });
  });
}
