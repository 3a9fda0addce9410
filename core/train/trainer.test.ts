// The training loop in this process, on real photos and a narrow two-tower model: what it reports and when, against
// figures computed here from its own step events and the dataset (epoch means, step numbering, where the rate
// changes), stopping and resuming against an uninterrupted run of the same seed, and its refusals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import type { Dataset } from '../dataset/dataset';
import { importDataset } from '../dataset/import';
import { quickConfig, type ModelConfig } from '../model/config';
import { smallDataset } from '../../e2e/fixtures';
import { readCheckpoint } from './checkpoint';
import type { TrainEvent } from './events';
import { recipe, type Recipe } from './recipe';
import { Trainer, type TrainerOptions } from './trainer';

let dataset: Dataset;
let root: string;
// 3 classes: 12 training photos (3 steps of 4 per epoch) and 6 test photos.
const BATCH = 4;
const NARROW = (): ModelConfig => ({ ...quickConfig(3), convWidths: [8, 16, 16, 16, 16], fcWidths: [32, 32] });
const RECIPE = (changes: Partial<Recipe> = {}): Recipe => ({ ...recipe('small-data', 'quick'), batchSize: BATCH, epochs: 3, patience: 100, ...changes });

beforeAll(async () => {
  await selectBackend('wasm');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-trainer-'));
  dataset = await importDataset(smallDataset(3, 4, 2), path.join(root, 'datasets'));
});

afterAll(async () => {
  dataset?.close();
  await selectBackend('cpu');
});

/** Runs a trainer to its end, with every event it emitted; `steer` sees each event with the trainer. */
async function train(options: Partial<Omit<TrainerOptions, 'onEvent'>> & { resumeFrom?: string; steer?: (trainer: Trainer, event: TrainEvent) => void } = {}) {
  const events: TrainEvent[] = [];
  // The listener needs the trainer, which needs the listener: it finds it here once made.
  const made: { trainer?: Trainer } = {};
  const runDir = options.runDir ?? fs.mkdtempSync(path.join(root, 'run-'));
  const common = {
    runId: options.runId ?? 'run-t',
    dataset,
    runDir,
    onEvent: (e: TrainEvent) => {
      events.push(e);
      if (made.trainer) options.steer?.(made.trainer, e);
    },
    ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
    ...(options.keepCheckpoints ? { keepCheckpoints: options.keepCheckpoints } : {}),
  };
  const trainer = (made.trainer = options.resumeFrom
    ? Trainer.resume({ ...common, checkpoint: options.resumeFrom })
    : Trainer.create({ ...common, config: options.config ?? NARROW(), recipe: options.recipe ?? RECIPE(), seed: options.seed ?? 3 }));
  try {
    const result = await trainer.run();
    return { result, events, runDir, weights: await trainer.network.values() };
  } finally {
    trainer.dispose();
  }
}

const of = <T extends TrainEvent['type']>(events: TrainEvent[], type: T) => events.filter((e): e is Extract<TrainEvent, { type: T }> => e.type === type);

describe('a training run in this process', () => {
  let run: Awaited<ReturnType<typeof train>>;
  beforeAll(async () => {
    run = await train();
  });

  it('numbers its steps and epochs, and ends completed after the recipe\'s epochs', () => {
    const [started] = of(run.events, 'started');
    expect(started).toMatchObject({ trainImages: 12, testImages: 6, stepsPerEpoch: 3 });
    expect(of(run.events, 'step').map((s) => [s.epoch, s.stepInEpoch, s.globalStep])).toEqual([
      [0, 1, 1], [0, 2, 2], [0, 3, 3], [1, 1, 4], [1, 2, 5], [1, 3, 6], [2, 1, 7], [2, 2, 8], [2, 3, 9],
    ]);
    expect(of(run.events, 'epoch').map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(run.result).toMatchObject({ outcome: 'completed', message: 'Trained 3 epochs.', position: { epoch: 3, stepInEpoch: 0, globalStep: 9 } });
    expect(run.events.at(-1)).toMatchObject({ type: 'finished', outcome: 'completed' });
  });

  it("reports each epoch's training loss as the mean of its steps' losses, and its validation figures in range", () => {
    const steps = of(run.events, 'step');
    for (const e of of(run.events, 'epoch')) {
      const losses = steps.filter((s) => s.epoch === e.epoch - 1).map((s) => s.loss);
      expect(losses).toHaveLength(3);
      expect(e.trainLoss).toBeCloseTo(losses.reduce((a, b) => a + b, 0) / 3, 5);
      for (const x of [e.trainTop1Error, e.trainTop5Error, e.validationTop1Error, e.validationTop5Error]) expect(x >= 0 && x <= 1).toBe(true);
      // Top-5 of 3 classes always holds the label; top-1 error is counted in whole images of 6 (or 12 for training).
      expect([e.trainTop5Error, e.validationTop5Error]).toEqual([0, 0]);
      expect(Number.isInteger(Math.round(e.validationTop1Error * 6 * 1e9) / 1e9)).toBe(true);
      expect(e.learningRate).toBe(1e-3);
      expect(e.learningRateDropped).toBe(false);
    }
    expect(run.result.bestTop1Error).toBe(Math.min(...of(run.events, 'epoch').map((e) => e.validationTop1Error)));
  });

  it('writes a checkpoint and a kernel snapshot after every epoch, and keeps the newest three', () => {
    expect(of(run.events, 'checkpoint').map((c) => c.position)).toEqual([1, 2, 3].map((epoch) => ({ epoch, stepInEpoch: 0, globalStep: epoch * 3 })));
    expect(of(run.events, 'kernels').map((k) => [k.epoch, k.globalStep, k.shape, k.towers.length])).toEqual([1, 2, 3].map((e) => [e, e * 3, [11, 11, 3, 4], 2]));
    const last = readCheckpoint(of(run.events, 'checkpoint').at(-1)!.file);
    expect(last.position).toEqual({ epoch: 3, stepInEpoch: 0, globalStep: 9 });
    for (const [name, values] of run.weights) expect(Array.from(last.weights.get(name)!), name).toEqual(Array.from(values));
  });

  it('keeps only the newest checkpoints it is asked to keep', async () => {
    const kept = await train({ keepCheckpoints: 1 });
    expect(fs.readdirSync(path.join(kept.runDir, 'checkpoints')).filter((f) => f.endsWith('.ckpt'))).toEqual(['epoch-0003-step-00000009.ckpt']);
  });

  it('stops after --max-steps with a checkpoint there, and resumes to the weights of the uninterrupted run, bit for bit', async () => {
    const stopped = await train({ maxSteps: 4 });
    expect(stopped.result).toMatchObject({ outcome: 'stopped', position: { epoch: 1, stepInEpoch: 1, globalStep: 4 } });
    expect(stopped.result.message).toMatch(/^Stopped at epoch 2, step 1 of 3; resume to continue\./);
    const resumed = await train({ resumeFrom: stopped.result.lastCheckpoint!, runDir: stopped.runDir });
    expect(of(resumed.events, 'started')[0]!.resumedFrom).toEqual({ epoch: 1, stepInEpoch: 1, globalStep: 4 });
    expect(of(resumed.events, 'step').map((s) => s.globalStep)).toEqual([5, 6, 7, 8, 9]);
    expect(resumed.result.outcome).toBe('completed');
    for (const [name, values] of run.weights) expect(Array.from(resumed.weights.get(name)!), name).toEqual(Array.from(values));
    // The losses it reports for the steps it trained are the uninterrupted run's.
    expect(of(resumed.events, 'step').map((s) => s.loss)).toEqual(of(run.events, 'step').slice(4).map((s) => s.loss));
  });

  it('refuses a checkpoint of another run and a model of another class count', async () => {
    await expect(train({ runId: 'run-other', resumeFrom: of(run.events, 'checkpoint')[0]!.file })).rejects.toThrow(/belongs to run 'run-t', not 'run-other'/);
    await expect(train({ config: quickConfig(4) })).rejects.toThrow(/The model has 4 outputs but dataset '.*' has 3 classes/);
  });
});

describe('the learning rate', () => {
  it('is divided by hand before the next step, and says where', async () => {
    // Asked when step 4 (epoch 2's first) has reported: steps 5 on train at a tenth of the rate.
    const divided = await train({ steer: (trainer, e) => e.type === 'step' && e.globalStep === 4 && trainer.divideLearningRate() });
    const change = of(divided.events, 'learning-rate');
    expect(change).toEqual([{ type: 'learning-rate', step: 4, epoch: 4 / 3, previousLearningRate: 1e-3, learningRate: 1e-4, reason: 'manual' }]);
    expect(of(divided.events, 'step').map((s) => s.learningRate)).toEqual([1e-3, 1e-3, 1e-3, 1e-3, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4]);
    expect(of(divided.events, 'epoch').map((e) => e.learningRateDropped)).toEqual([false, false, false]);
  });

  it("is divided by section 5's rule when the validation error stops improving, after that epoch's last step", async () => {
    // A rate too small to move the weights: the error stays where it is, so patience 1 divides after epoch 2.
    const plateau = await train({ recipe: RECIPE({ learningRate: 1e-9, patience: 1, minimumLearningRate: 1e-12 }) });
    const changes = of(plateau.events, 'learning-rate');
    expect(changes.map((c) => [c.step, c.epoch, c.reason])).toEqual([[6, 2, 'plateau'], [9, 3, 'plateau']]);
    expect(changes[0]!.learningRate).toBeCloseTo(1e-10, 20);
    expect(of(plateau.events, 'epoch').map((e) => e.learningRateDropped)).toEqual([false, true, true]);
    // Never below the recipe's minimum.
    const floor = await train({ recipe: RECIPE({ learningRate: 1e-9, patience: 1, minimumLearningRate: 1e-9 }) });
    expect(of(floor.events, 'learning-rate')).toEqual([]);
  });
});
