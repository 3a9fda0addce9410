// The training loop of section 5: epochs of shuffled batches, plateau schedule, checkpoints, pause, stop and resume.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DamagedRecordError } from '../dataset/damaged-record';
import type { Dataset } from '../dataset/dataset';
import type { ImageEntry } from '../dataset/types';
import { evaluate } from '../evaluate/evaluate';
import { bufferLimitBytes, gpuFailure } from '../backend/backend';
import { AlexNet } from '../model/alexnet';
import { checkBufferLimit } from '../model/buffers';
import type { ModelConfig } from '../model/config';
import { Rng } from '../random/rng';
import { drawTrainingCrop, writeTrainingCrop } from './augment';
import { trainingCrops } from '../gpu/crops';
import { CACHE_IMAGE_SIZE } from '../dataset/types';
import type { CropDraw, InputTransform } from '../model/input';
import { checkpointFileName, readCheckpoint, writeCheckpoint, type CheckpointContents, type CheckpointPosition } from './checkpoint';
import type { RunOutcome, TrainEvent, TrainListener } from './events';
import { ImageSource } from '../dataset/image-source';
import { createOptimizer, type Optimizer } from './optimizer';
import { validateRecipe, type Recipe } from './recipe';
import { PlateauSchedule, type LearningRateChange } from './schedule';
import { trainStep, type StepBatch, type StepResult } from './step';
import { diagnose, type EpochHealth } from './stuck';
import { counted } from '../words';

export interface TrainerOptions {
  runId: string;
  dataset: Dataset;
  config: ModelConfig;
  recipe: Recipe;
  seed: number;
  /** Folder of this run's files (checkpoints/ is made inside). */
  runDir: string;
  /** Checkpoints kept on disk (the newest ones); older ones are deleted. Default 3. */
  keepCheckpoints?: number;
  /** Stop after this many steps in total (for tests and benchmarks); the run counts as stopped. */
  maxSteps?: number;
  onEvent?: TrainListener;
}

export interface TrainResult {
  outcome: RunOutcome;
  message: string;
  position: CheckpointPosition;
  bestTop1Error: number | null;
  lastCheckpoint: string | undefined;
}

/** A step submitted to the device, accounted for once its loss and logits are read. */
interface QueuedStep {
  running: Promise<{ ok: true; result: StepResult } | { ok: false; error: unknown }>;
  epoch: number;
  /** Its number in the epoch and in the run, from 1. */
  stepInEpoch: number;
  globalStep: number;
  labels: Int32Array;
  started: number;
  learningRate: number;
}

/** Running sums over the epoch in progress. */
interface EpochTotals {
  loss: number;
  correct1: number;
  correct5: number;
  images: number;
  seconds: number;
}

export class Trainer {
  private readonly model: AlexNet;
  private readonly optimizer: Optimizer;
  private readonly schedule: PlateauSchedule;
  private readonly source: ImageSource;
  private readonly transform: InputTransform;
  private readonly train: ImageEntry[];
  private readonly test: ImageEntry[];
  private position: CheckpointPosition = { epoch: 0, stepInEpoch: 0, globalStep: 0 };
  private order: number[] = [];
  private totals: EpochTotals = { loss: 0, correct1: 0, correct5: 0, images: 0, seconds: 0 };
  private readonly health: EpochHealth[] = [];
  private stopRequested = false;
  private pausedUntil: { promise: Promise<void>; release: () => void } | undefined;
  private manualDivide = false;
  private lastCheckpoint: string | undefined;
  private readonly resumedFrom: CheckpointPosition | undefined;
  /** Records of training images found damaged in the cache, left out from then on. */
  private readonly damaged = new Set<number>();

  private constructor(
    private readonly options: TrainerOptions,
    restored?: CheckpointContents,
  ) {
    validateRecipe(options.recipe);
    const { dataset, config, recipe } = options;
    if (config.classes !== dataset.labels.length) {
      throw new Error(`The model has ${config.classes} outputs but dataset '${dataset.manifest.name}' has ${dataset.labels.length} classes.`);
    }
    checkBufferLimit(config, recipe.batchSize, bufferLimitBytes());
    this.train = dataset.entries('train');
    this.test = dataset.entries('test');
    if (this.train.length === 0) throw new Error(`Dataset '${dataset.manifest.name}' has no training images.`);
    this.source = new ImageSource(dataset, config.imageSize);
    this.transform = { size: config.imageSize, crop: config.cropSize, mean: this.source.mean(), scale: recipe.inputScale };
    if (restored) {
      this.model = new AlexNet(config, restored.weights);
      this.position = restored.position;
      this.order = restored.order;
      this.totals = { ...restored.epochTotals };
      this.schedule = new PlateauSchedule(recipe.learningRate, recipe.patience, recipe.minimumLearningRate, restored.schedule);
      this.resumedFrom = restored.position;
    } else {
      this.model = AlexNet.create(config, recipe.initialisation, options.seed);
      this.schedule = new PlateauSchedule(recipe.learningRate, recipe.patience, recipe.minimumLearningRate);
    }
    this.optimizer = createOptimizer(recipe.optimizer, this.model.variables());
    // Checkpoints keep whole parameters' slots; the optimizer holds one per variable (fc6 and fc7 in tower halves).
    if (restored) this.optimizer.restore({ ...restored.optimizer, slots: this.model.pieceSlots(restored.optimizer.slots) }, this.model.pieces.map((p) => p.name));
  }

  static create(options: TrainerOptions): Trainer {
    return new Trainer(options);
  }

  /** Continues a run from a checkpoint file exactly where it stopped (same data order, same random draws). */
  static resume(options: Omit<TrainerOptions, 'config' | 'recipe' | 'seed'> & { checkpoint: string; epochs?: number }): Trainer {
    const restored = readCheckpoint(options.checkpoint);
    if (restored.runId !== options.runId) {
      throw new Error(`Checkpoint '${options.checkpoint}' belongs to run '${restored.runId}', not '${options.runId}'.`);
    }
    const recipe = options.epochs ? { ...restored.recipe, epochs: options.epochs } : restored.recipe;
    return new Trainer({ ...options, config: restored.config, recipe, seed: restored.seed }, restored);
  }

  get stepsPerEpoch(): number {
    // Like the reference trainer, the last partial batch is dropped (unless the set is smaller than one batch).
    return Math.max(1, Math.floor(this.train.length / this.options.recipe.batchSize));
  }

  get learningRate(): number {
    return this.schedule.learningRate;
  }

  /** Input pixels are (value - mean) * inputScale (the recipe's). */
  get inputScale(): number {
    return this.options.recipe.inputScale;
  }

  /** The network (for inspection after training); owned by the trainer until dispose(). */
  get network(): AlexNet {
    return this.model;
  }

  pause(): void {
    if (this.pausedUntil) return;
    let release = () => {};
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.pausedUntil = { promise, release };
    this.emit({ type: 'paused' });
  }

  resume(): void {
    if (!this.pausedUntil) return;
    this.pausedUntil.release();
    this.pausedUntil = undefined;
    this.emit({ type: 'resumed' });
  }

  /** Stops after the step in progress and writes a checkpoint there, so that the run can be resumed. */
  stop(): void {
    this.stopRequested = true;
    this.resume();
  }

  /** Divides the learning rate by 10 before the next step (the paper's manual schedule). */
  divideLearningRate(): void {
    this.manualDivide = true;
  }

  /** The division just made, at the current position (the next step is the first at the new rate). */
  private emitChange(previousLearningRate: number, reason: LearningRateChange['reason']): void {
    const step = this.position.globalStep;
    this.emit({ type: 'learning-rate', step, epoch: step / this.stepsPerEpoch, previousLearningRate, learningRate: this.schedule.learningRate, reason });
  }

  private emit(event: TrainEvent): void {
    this.options.onEvent?.(event);
  }

  async run(): Promise<TrainResult> {
    // On WebGPU the batch goes up as the cache's uint8 records and is cropped there (core/gpu/crops.ts), against the
    // mean image kept on the GPU for the run; elsewhere the host assembles the float crops.
    const gpuMean = tf.getBackend() === 'webgpu' ? tf.tensor1d(this.transform.mean) : undefined;
    try {
      return await this.trainLoop(gpuMean);
    } finally {
      gpuMean?.dispose();
    }
  }

  private async trainLoop(gpuMean: tf.Tensor | undefined): Promise<TrainResult> {
    const { recipe, config, seed } = this.options;
    const stepsPerEpoch = this.stepsPerEpoch;
    const batchSize = Math.min(recipe.batchSize, this.train.length);
    this.emit({
      type: 'started',
      runId: this.options.runId,
      backend: tf.getBackend(),
      device: '',
      config,
      recipe,
      trainImages: this.train.length,
      testImages: this.test.length,
      stepsPerEpoch,
      ...(this.resumedFrom ? { resumedFrom: this.resumedFrom } : {}),
    });
    const classes = config.classes;
    const per = config.cropSize * config.cropSize * 3;
    const input = new Float32Array(batchSize * per);
    const labels = new Int32Array(batchSize);
    let stepSecondsAverage: number | undefined;
    // On WebGPU a step is queued on the device, then the previous one is waited for and accounted: the host assembles
    // and queues step n + 1 while the device runs step n, and the device never waits for the host's read of a loss.
    const pipelined = tf.getBackend() === 'webgpu';
    let queued: QueuedStep | undefined;
    let lastSettled = -Infinity;
    /** Waits for the queued step and accounts for it; gives the run's result when it ends there (the loss diverged). */
    const settle = async (): Promise<TrainResult | undefined> => {
      const step = queued;
      if (!step) return undefined;
      queued = undefined;
      const outcome = await step.running;
      if (!outcome.ok) throw outcome.error;
      const { loss, logits: logitValues } = outcome.result;
      if (!Number.isFinite(loss)) {
        const message = `The loss became ${loss} at epoch ${step.epoch + 1}, step ${step.stepInEpoch}: training diverged and was stopped. The last good checkpoint is kept. Lower the learning rate (now ${this.schedule.learningRate}) and resume or start again.`;
        this.emit({ type: 'notice', level: 'error', code: 'diverged', message });
        return this.finish('diverged', message, false);
      }
      const { correct1, correct5 } = countCorrect(logitValues, classes, step.labels);
      // From the later of its start and the previous step's end: steps overlap, and their times must not.
      const now = performance.now();
      const seconds = (now - Math.max(step.started, lastSettled)) / 1000;
      lastSettled = now;
      this.totals.loss += loss * step.labels.length;
      this.totals.correct1 += correct1;
      this.totals.correct5 += correct5;
      this.totals.images += step.labels.length;
      this.totals.seconds += seconds;
      stepSecondsAverage = stepSecondsAverage === undefined ? seconds : 0.9 * stepSecondsAverage + 0.1 * seconds;
      const stepsLeft = (recipe.epochs - step.epoch) * stepsPerEpoch - step.stepInEpoch;
      this.emit({
        type: 'step',
        epoch: step.epoch,
        stepInEpoch: step.stepInEpoch,
        stepsPerEpoch,
        globalStep: step.globalStep,
        loss,
        learningRate: step.learningRate,
        imagesPerSecond: step.labels.length / seconds,
        etaSeconds: stepsLeft * stepSecondsAverage,
      });
      return undefined;
    };
    while (this.position.epoch < recipe.epochs) {
      const epoch = this.position.epoch;
      if (this.position.stepInEpoch === 0) {
        this.order = new Rng(seed, 'order', epoch).permutation(this.train.length);
        this.totals = { loss: 0, correct1: 0, correct5: 0, images: 0, seconds: 0 };
      }
      while (this.position.stepInEpoch < stepsPerEpoch) {
        // Let the host's messages in (pause, stop, a look-up): on the CPU backend a step's awaits settle as
        // microtasks, so without this the loop would never give the event loop a turn.
        await yieldToEventLoop();
        if (this.pausedUntil) {
          const ended = await settle(); // a paused run shows every step it has taken
          if (ended) return ended;
          await this.pausedUntil.promise;
        }
        if (this.stopRequested || (this.options.maxSteps !== undefined && this.position.globalStep >= this.options.maxSteps)) {
          const ended = await settle();
          if (ended) return ended;
          return this.finish('stopped', `Stopped at epoch ${epoch + 1}, step ${this.position.stepInEpoch} of ${stepsPerEpoch}; resume to continue.`, true);
        }
        if (this.manualDivide) {
          this.manualDivide = false;
          const previous = this.schedule.learningRate;
          this.schedule.divide(epoch + 1, 'manual');
          this.emitChange(previous, 'manual');
        }
        const started = performance.now();
        // Assemble the batch: crops, reflections, mean, colour noise (section 4.1), drawn on the host and applied there
        // or, on WebGPU, to the uint8 records on the GPU. An image damaged in the cache is left out (and reported once),
        // so the batch is one smaller.
        const first = this.position.stepInEpoch * batchSize;
        const statistics = recipe.pcaNoise ? this.options.dataset.manifest.statistics : undefined;
        const records: Uint8Array[] = [];
        const draws: CropDraw[] = [];
        let size = 0;
        for (let i = 0; i < batchSize; i++) {
          const index = this.order[first + i]!;
          const entry = this.train[index]!;
          if (gpuMean) {
            const record = this.usable(entry, (r) => this.source.record(r));
            if (!record) continue;
            records.push(record);
            draws.push(drawTrainingCrop(seed, epoch, index, this.transform, statistics));
          } else {
            const image = this.usable(entry, (r) => this.source.image(r));
            if (!image) continue;
            writeTrainingCrop(image, seed, epoch, index, this.transform, statistics, input, size * per);
          }
          labels[size++] = entry.label;
        }
        if (size === 0) throw new Error(`Every image of step ${this.position.globalStep + 1} is damaged in the cache; import the folder again to repair it.`);
        const masks = this.model.dropoutMasks(size, new Rng(seed, 'dropout', this.position.globalStep));
        const pixels = gpuMean ? trainingCrops(records, draws, this.transform, gpuMean, CACHE_IMAGE_SIZE) : size === batchSize ? input : input.subarray(0, size * per);
        const batch = { input: pixels, labels: size === batchSize ? labels : labels.subarray(0, size), masks };
        // Queued now (the step's work is submitted before its first wait); its outcome is kept, never left unhandled.
        const running = this.step(batch).then(
          (result) => ({ ok: true as const, result }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const current: QueuedStep = {
          running,
          epoch,
          stepInEpoch: this.position.stepInEpoch + 1,
          globalStep: this.position.globalStep + 1,
          labels: batch.labels.slice(), // the buffer is refilled for the next batch
          started,
          learningRate: this.schedule.learningRate,
        };
        this.position = { ...this.position, stepInEpoch: current.stepInEpoch, globalStep: current.globalStep };
        const ended = await settle();
        if (ended) return ended;
        queued = current;
        if (!pipelined) {
          // On the CPU engines the step has run by now: account for it at once, so that what its report asks for (a
          // stop, a divided rate) applies to the very next step. On WebGPU such a request lands one step later.
          const last = await settle();
          if (last) return last;
        }
      }
      const ended = await settle();
      if (ended) return ended;
      await this.endEpoch();
      const diagnosis = diagnose(this.health, classes, recipe.name);
      if (diagnosis) this.emit({ type: 'notice', level: 'warning', code: diagnosis.code, message: diagnosis.message });
    }
    return this.finish('completed', `Trained ${counted(recipe.epochs, 'epoch')}.`, false);
  }

  /** An image for training (`read` of its record), or undefined when it is damaged in the cache (reported the first time). */
  private usable<T>(entry: ImageEntry, read: (record: number) => T): T | undefined {
    if (this.damaged.has(entry.record)) return undefined;
    try {
      return read(entry.record);
    } catch (error) {
      if (!(error instanceof DamagedRecordError)) throw error;
      this.damaged.add(entry.record);
      this.emit({ type: 'notice', level: 'warning', code: 'damaged-image', message: error.message });
      return undefined;
    }
  }

  /** One step; a failure of the GPU (lost, out of memory) is reported by the GPU's state, read after it. */
  private async step(batch: StepBatch): Promise<StepResult> {
    let result: StepResult | undefined;
    try {
      result = await trainStep(this.model, this.optimizer, batch, this.schedule.learningRate);
    } finally {
      this.checkGpu();
    }
    return result;
  }

  /** Throws, saying what happened and what to do, when the GPU was lost or an operation on it failed. */
  private checkGpu(): void {
    const gpu = gpuFailure();
    if (!gpu) return;
    const way =
      gpu.kind === 'out-of-memory'
        ? `start it again with a smaller batch size (now ${this.options.recipe.batchSize}), or on the CPU engine (--backend wasm)`
        : 'resume the run (it continues from its last checkpoint), on the CPU engine (--backend wasm) if the GPU stays unavailable';
    throw new Error(`${gpu.message} at epoch ${this.position.epoch + 1}, step ${this.position.stepInEpoch + 1}. Everything up to the last checkpoint is kept; to go on, ${way}`);
  }

  private async endEpoch(): Promise<void> {
    const epochStarted = performance.now();
    let evaluation;
    try {
      evaluation = await evaluate(this.model, this.source, this.test, this.transform, { batchSize: this.options.recipe.batchSize });
    } finally {
      this.checkGpu();
    }
    const epochNumber = this.position.epoch + 1;
    const previous = this.schedule.learningRate;
    const dropped = this.test.length > 0 && this.schedule.observe(epochNumber, evaluation.top1Error);
    if (dropped) this.emitChange(previous, 'plateau');
    const t = this.totals;
    const trainLoss = t.loss / t.images;
    this.health.push({
      epoch: epochNumber,
      trainLoss,
      validationTop1Error: evaluation.top1Error,
      deadReluFraction: evaluation.deadReluFraction,
      dominantPredictionFraction: evaluation.dominantPredictionFraction,
    });
    this.emit({
      type: 'epoch',
      epoch: epochNumber,
      trainLoss,
      trainTop1Error: 1 - t.correct1 / t.images,
      trainTop5Error: 1 - t.correct5 / t.images,
      validationLoss: evaluation.loss,
      validationTop1Error: evaluation.top1Error,
      validationTop5Error: evaluation.top5Error,
      learningRate: this.schedule.learningRate,
      learningRateDropped: dropped,
      deadReluFraction: evaluation.deadReluFraction,
      seconds: t.seconds + (performance.now() - epochStarted) / 1000,
      imagesPerSecond: t.images / t.seconds,
    });
    this.position = { epoch: epochNumber, stepInEpoch: 0, globalStep: this.position.globalStep };
    await this.emitKernels();
    await this.checkpoint();
  }

  private async emitKernels(): Promise<void> {
    const towers: Float32Array[] = [];
    const names = this.model.specs.filter((s) => s.name.startsWith('conv1/') && s.kind === 'weight');
    for (const spec of names) towers.push((await this.model.parameter(spec.name).data()) as Float32Array);
    this.emit({ type: 'kernels', epoch: this.position.epoch, globalStep: this.position.globalStep, shape: names[0]!.shape, towers });
  }

  /** Writes a checkpoint at the current position and prunes old ones. */
  private async checkpoint(): Promise<string> {
    const dir = path.join(this.options.runDir, 'checkpoints');
    const file = path.join(dir, checkpointFileName(this.position));
    const state = await this.optimizer.state(this.model.pieces.map((p) => p.name));
    const written = writeCheckpoint(file, {
      runId: this.options.runId,
      config: this.options.config,
      recipe: this.options.recipe,
      seed: this.options.seed,
      position: this.position,
      schedule: this.schedule.state(),
      order: this.order,
      rng: { seed: this.options.seed, epoch: this.position.epoch, globalStep: this.position.globalStep },
      epochTotals: this.totals,
      weights: await this.model.values(),
      optimizer: { ...state, slots: this.model.wholeSlots(state.slots) },
    });
    this.lastCheckpoint = file;
    this.emit({ type: 'checkpoint', file, bytes: written.bytes, sha256: written.sha256, position: this.position });
    const keep = this.options.keepCheckpoints ?? 3;
    const old = fs.readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort();
    for (const f of old.slice(0, Math.max(0, old.length - keep))) fs.rmSync(path.join(dir, f), { force: true });
    return file;
  }

  private async finish(outcome: RunOutcome, message: string, writeCheckpoint: boolean): Promise<TrainResult> {
    if (writeCheckpoint && (this.position.stepInEpoch > 0 || !this.lastCheckpoint) && this.position.globalStep > 0) await this.checkpoint();
    const state = this.schedule.state();
    const result: TrainResult = { outcome, message, position: this.position, bestTop1Error: state.bestError, lastCheckpoint: this.lastCheckpoint };
    this.emit({ type: 'finished', outcome, message, position: this.position, bestTop1Error: state.bestError });
    return result;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Resolves on a later turn of the event loop (setImmediate in Node; a zero timeout in a page). */
function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => void }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

/** Counts top-1 and top-5 hits of one batch's logits. */
export function countCorrect(logits: Float32Array, classes: number, labels: Int32Array): { correct1: number; correct5: number } {
  let correct1 = 0;
  let correct5 = 0;
  const k = Math.min(5, classes);
  for (let i = 0; i < labels.length; i++) {
    const row = i * classes;
    const target = logits[row + labels[i]!]!;
    let higher = 0;
    for (let c = 0; c < classes; c++) if (logits[row + c]! > target || (logits[row + c] === target && c < labels[i]!)) higher++;
    if (higher === 0) correct1++;
    if (higher < k) correct5++;
  }
  return { correct1, correct5 };
}
