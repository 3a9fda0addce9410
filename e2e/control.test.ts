// Controlling a run: dividing the learning rate by hand, pausing and resuming, and stopping at once on divergence.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendInfo } from '../core/backend/backend';
import type { Dataset } from '../core/dataset/dataset';
import { importDataset } from '../core/dataset/import';
import { RunLog } from '../core/runlog/run-log';
import { readCheckpoint } from '../core/train/checkpoint';
import type { TrainEvent } from '../core/train/events';
import { startTraining } from '../core/service/local-training';
import { openWorkspace, type Workspace } from '../core/workspace';
import { smallDataset, tempHome } from './fixtures';
import { recordDataset } from '../core/workbench/record-dataset';

describe('run control on the CPU backend', () => {
  let backend: BackendInfo;
  let workspace: Workspace;
  let log: RunLog;
  let dataset: Dataset;

  beforeAll(async () => {
    backend = await selectBackend('wasm');
    workspace = openWorkspace(tempHome());
    log = RunLog.open(workspace.database);
    dataset = await importDataset(smallDataset(2, 4, 1), workspace.datasets);
      recordDataset(log, dataset);
  });

  afterAll(() => {
    log.close();
    dataset.close();
  });

  it('divides the learning rate by 10 when asked, and pauses until resumed', async () => {
    const events: TrainEvent[] = [];
    let pausedAt = 0;
    const session = startTraining(workspace, log, backend, { dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: 2, batchSize: 4 }, seed: 1 }, (e) => {
      events.push(e);
      if (e.type === 'step' && e.globalStep === 1) {
        void session.control('divide-learning-rate');
        void session.control('pause');
        pausedAt = Date.now();
        setTimeout(() => void session.control('resume'), 400);
      }
    });
    expect((await session.done).outcome).toBe('completed');
    const steps = events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step');
    expect(steps[0]!.learningRate).toBeCloseTo(1e-3, 12);
    expect(steps[1]!.learningRate).toBeCloseTo(1e-4, 12);
    expect(events.find((e) => e.type === 'learning-rate')).toMatchObject({ reason: 'manual', learningRate: 1e-4 });
    const order = events.map((e) => e.type);
    expect(order.indexOf('paused')).toBeLessThan(order.indexOf('resumed'));
    expect(order.indexOf('resumed')).toBeLessThan(order.lastIndexOf('step'));
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(400);
    expect(log.notices(session.runId).some((n) => n.code === 'learning-rate-manual')).toBe(true);
  });

  it('stops at once when the loss becomes NaN, keeping the last good checkpoint', async () => {
    const events: TrainEvent[] = [];
    // The paper's SGD at a learning rate of 10 diverges within a few steps.
    const session = startTraining(workspace, log, backend, { dataset, preset: 'quick', recipe: 'paper', overrides: { epochs: 20, batchSize: 4, learningRate: 10 }, seed: 1 }, (e) => events.push(e));
    const result = await session.done;
    expect(result.outcome).toBe('diverged');
    expect(result.message).toMatch(/training diverged and was stopped/);
    const run = log.getRun(session.runId)!;
    expect(run.status).toBe('diverged');
    const last = events.filter((e) => e.type === 'step').at(-1);
    expect(events.at(-1)).toMatchObject({ type: 'finished', outcome: 'diverged' });
    // Every checkpoint on disk is whole and was written before the divergence.
    for (const c of log.checkpoints(session.runId)) {
      expect(fs.existsSync(c.path)).toBe(true);
      const contents = readCheckpoint(c.path);
      for (const values of contents.weights.values()) expect(values.every(Number.isFinite)).toBe(true);
    }
    expect(last === undefined || Number.isFinite((last as { loss: number }).loss)).toBe(true);
  });

  it('marks a run failed, with the reason, when a checkpoint cannot be written', async () => {
    let blocked = false;
    const session = startTraining(workspace, log, backend, { dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: 1, batchSize: 4 }, seed: 2 }, (e) => {
      if (e.type === 'step' && !blocked) {
        // A file where the checkpoint folder should go: the write at the epoch's end fails.
        fs.writeFileSync(path.join(workspace.runs, session.runId, 'checkpoints'), 'in the way');
        blocked = true;
      }
    });
    await expect(session.done).rejects.toThrow();
    const run = log.getRun(session.runId)!;
    expect(run.status).toBe('failed');
    expect(run.statusDetail).toMatch(/^Training failed: .*resume when the cause is fixed/);
    expect(log.notices(session.runId).map((n) => n.code)).toContain('failed');
  });
});
