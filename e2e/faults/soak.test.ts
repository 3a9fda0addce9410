// A long run on the CPU machine: the quick preset for 3,000 steps (`npm run test:faults`; `npm test` runs a shorter
// one), with the live tensor count flat from step to step, the process's heap flat after garbage collection, and
// the run log small.
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { selectBackend } from '../../core/backend/backend';
import { importDataset } from '../../core/dataset/import';
import { RunLog } from '../../core/runlog/run-log';
import { startTraining } from '../../core/service/local-training';
import { openWorkspace } from '../../core/workspace';
import { smallDataset, tempHome } from '../fixtures';
import { FULL, tally } from './report';
import { recordDataset } from '../../core/workbench/record-dataset';

const STEPS_PER_EPOCH = 30; // 60 training photos, batch 2
const EPOCHS = FULL ? 100 : 5;

v8.setFlagsFromString('--expose_gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

// 3,000 steps take about 10 minutes on two cores (more while another suite trains beside it).
it(`trains ${EPOCHS * STEPS_PER_EPOCH} steps with the tensor count and the heap flat, and a small run log`, { timeout: 45 * 60_000 }, async () => {
  const backend = await selectBackend('wasm');
  const workspace = openWorkspace(tempHome());
  const log = RunLog.open(workspace.database);
  const dataset = await importDataset(smallDataset(3, 20, 2), workspace.datasets);
  recordDataset(log, dataset);
  const tensors: number[] = [];
  const heap: { step: number; bytes: number }[] = [];
  const session = startTraining(workspace, log, backend, { dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: EPOCHS, batchSize: 2 }, seed: 11 }, (event) => {
    if (event.type !== 'step') return;
    // Seen as the app sees it, just after the step; after an epoch's last step the evaluation has begun.
    if (event.stepInEpoch < event.stepsPerEpoch) tensors.push(tf.memory().numTensors);
    if (event.globalStep % STEPS_PER_EPOCH === 15) {
      collectGarbage();
      heap.push({ step: event.globalStep, bytes: process.memoryUsage().heapUsed });
    }
  });
  expect((await session.done).outcome).toBe('completed');
  const steps = EPOCHS * STEPS_PER_EPOCH;
  expect(tensors).toHaveLength(steps - EPOCHS);
  // The optimizer's slots appear at the first step; from then on not one tensor more.
  expect(new Set(tensors.slice(1)).size).toBe(1);
  // The heap after collection: the last fifth's median within 16 MB of the first fifth's (no leak per step).
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fifth = Math.max(1, Math.floor(heap.length / 5));
  const early = median(heap.slice(0, fifth).map((h) => h.bytes));
  const late = median(heap.slice(-fifth).map((h) => h.bytes));
  expect(late - early).toBeLessThan(16 * 1024 * 1024);
  // Every step and epoch is in the run log, and the log stays small.
  expect(log.stepMetrics(session.runId)).toHaveLength(steps);
  expect(log.epochMetrics(session.runId)).toHaveLength(EPOCHS);
  log.close();
  const bytes = fs.statSync(workspace.database).size + (fs.existsSync(`${workspace.database}-wal`) ? fs.statSync(`${workspace.database}-wal`).size : 0);
  expect(bytes).toBeLessThan(8 * 1024 * 1024);
  console.log(`soak: ${steps} steps, ${tensors[1]} live tensors after each, heap ${(early / 2 ** 20).toFixed(1)} -> ${(late / 2 ** 20).toFixed(1)} MiB, run log ${(bytes / 1024).toFixed(0)} KiB`);
  tally('soak', { cases: steps });
});
