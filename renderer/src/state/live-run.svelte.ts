// The run the Train view follows: the one training now, else the last one it followed (so its end stays on screen).
// Its curves start from 'runs:get' (the page may open mid-run) and grow with 'run:step' and 'run:epoch'.
import type { EpochPoint, HostEvent, LearningRateChange, RunProgress, RunStatus, StepPoint } from '../../../core/api/contract';
import { invoke, messageOf } from '../api-client';
import { jobs } from './jobs.svelte';
import { mergeChanges } from '../views/train/run-curves';

/** Step points kept for the loss curve; above this every other one is dropped (the run log keeps them all). */
const MOST_STEPS = 4000;

class LiveRun {
  runId = $state<string | null>(null);
  status = $state<RunStatus | null>(null);
  /** Why it ended or what it is doing, in words (run:finished's message, RunSummary.statusDetail). */
  message = $state<string | null>(null);
  progress = $state<RunProgress | null>(null);
  epochs = $state.raw<EpochPoint[]>([]);
  steps = $state.raw<StepPoint[]>([]);
  /** Every division of the learning rate, as the run log and the 'run:learning-rate' events record it. */
  drops = $state.raw<LearningRateChange[]>([]);
  stepsPerEpoch = $state<number | null>(null);
  error = $state<string | null>(null);
  private generation = 0;

  /** Follows `runId`, loading what the run log has so far; events that arrive meanwhile are kept. */
  async follow(runId: string): Promise<void> {
    if (runId === this.runId) return;
    const generation = ++this.generation;
    this.runId = runId;
    this.status = null;
    this.message = null;
    this.progress = null;
    this.epochs = [];
    this.steps = [];
    this.drops = [];
    this.stepsPerEpoch = null;
    this.error = null;
    await this.reload(generation);
  }

  /** Reloads the followed run from the run log (after a reconnect, when events may have been missed). */
  async reload(generation = this.generation): Promise<void> {
    const runId = this.runId;
    if (runId === null) return;
    try {
      const detail = await invoke('runs:get', { runId });
      if (generation !== this.generation) return;
      const lastStep = detail.steps.at(-1)?.step ?? -1;
      const lastEpoch = detail.epochs.at(-1)?.epoch ?? -1;
      this.steps = [...detail.steps, ...this.steps.filter((s) => s.step > lastStep)];
      this.epochs = [...detail.epochs, ...this.epochs.filter((e) => e.epoch > lastEpoch)];
      this.drops = mergeChanges(detail.learningRateDrops, this.drops);
      // The run log is the truth for a run that is not training; for the active one, events may be fresher.
      if (this.status === null || jobs.state.active?.runId !== runId) {
        this.status = detail.status;
        this.message = detail.statusDetail;
      }
      this.stepsPerEpoch ??= stepsPerEpochOf(detail.steps);
      this.error = null;
    } catch (error) {
      if (generation === this.generation) this.error = messageOf(error);
    }
  }

  setProgress(progress: RunProgress | null, status: 'running' | 'paused'): void {
    if (progress !== null) {
      this.progress = progress;
      this.stepsPerEpoch = progress.stepsPerEpoch;
    }
    this.status = status;
  }

  /** A division, where the trainer made it (a drop by hand as well as a plateau's). */
  onLearningRate(event: Extract<HostEvent, { type: 'run:learning-rate' }>): void {
    if (event.runId !== this.runId) return;
    const { type: _type, runId: _runId, ...change } = event;
    this.drops = mergeChanges(this.drops, [change]);
  }

  onStarted(event: Extract<HostEvent, { type: 'run:started' }>): void {
    if (event.runId !== this.runId) return;
    this.stepsPerEpoch = event.stepsPerEpoch;
    this.status = 'running';
    this.message = null;
  }

  onStep(event: Extract<HostEvent, { type: 'run:step' }>): void {
    if (event.runId !== this.runId) return;
    const { type: _type, runId: _runId, ...progress } = event;
    const previous = this.steps.at(-1);
    if (previous !== undefined && event.globalStep <= previous.step) return;
    this.progress = progress;
    this.stepsPerEpoch = event.stepsPerEpoch;
    let steps = [...this.steps, { step: event.globalStep, epoch: event.epoch, loss: event.loss, learningRate: event.learningRate, imagesPerSecond: event.imagesPerSecond }];
    if (steps.length > MOST_STEPS) steps = steps.filter((_s, i) => i % 2 === 1 || i === steps.length - 1);
    this.steps = steps;
  }

  onEpoch(event: Extract<HostEvent, { type: 'run:epoch' }>): void {
    if (event.runId !== this.runId) return;
    const { type: _type, runId: _runId, learningRateDropped: _dropped, imagesPerSecond: _speed, ...point } = event;
    this.epochs = [...this.epochs.filter((e) => e.epoch !== point.epoch), point];
  }

  onStatus(event: Extract<HostEvent, { type: 'run:status' }>): void {
    if (event.runId === this.runId) this.status = event.status;
  }

  onFinished(event: Extract<HostEvent, { type: 'run:finished' }>): void {
    if (event.runId !== this.runId) return;
    this.status = event.outcome;
    this.message = event.message;
  }
}

/**
 * Steps per epoch from the run log's (thinned) step points, when no progress event has said it: every point of
 * 0-based epoch e has e*S < step <= (e+1)*S, so the largest step/(e+1) is S once an epoch's last step is kept.
 */
export function stepsPerEpochOf(steps: readonly StepPoint[]): number | null {
  let best = 0;
  for (const s of steps) best = Math.max(best, Math.ceil(s.step / (s.epoch + 1)));
  return best > 0 ? best : null;
}

export const liveRun = new LiveRun();
