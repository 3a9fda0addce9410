// The training job lifecycle: one run trains at a time on the compute side, later ones wait in a queue; pause,
// resume, stop and divide-the-learning-rate reach the running one; its events go to the run log and to the UI.
import { ApiError, type ControlAction, type JobState, type RunProgress } from '../api/contract';
import type { TrainEvent } from '../train/events';
import type { TrainResult } from '../train/trainer';
import type { TrainJob } from '../compute/training-job';
import { systemFailure } from '../system-errors';
import { markFailed, recordingListener } from '../workbench/training';
import type { ServiceContext } from './context';
import { describeLearningRateChange, learningRateChange } from '../train/schedule';

/** run:step events are sent at most this often (every step is in the run log). */
const STEP_EVENT_INTERVAL_MS = 250;

interface ActiveJob {
  job: TrainJob;
  status: 'running' | 'paused';
  since: string;
  epochs: number;
  progress: RunProgress | null;
  lastStepEvent: number;
  listener: ReturnType<typeof recordingListener>;
  done: Promise<void>;
  /** Set when the run log could not take an event (a full disk): the run is stopped, and this is why. */
  recordFailure?: unknown;
  /** False until the compute side reports the run started; steering asked for before then waits here. */
  started: boolean;
  waitingActions: ControlAction[];
}

/** How a run the queue took ended: its result, or its failure in words (the error's cause is the original). */
interface Outcome {
  promise: Promise<TrainResult>;
  resolve(result: TrainResult): void;
  reject(error: Error): void;
}

export class TrainingQueue {
  private active: ActiveJob | undefined;
  private readonly waiting: TrainJob[] = [];
  private readonly outcomes = new Map<string, Outcome>();
  private closing = false;

  constructor(
    private readonly context: ServiceContext,
    private readonly onJobsChanged: () => void,
  ) {
    context.compute.onEvent((runId, event) => {
      if (this.active?.job.runId === runId) this.onTrainEvent(this.active, event);
    });
  }

  state(): Omit<JobState, 'imports'> {
    const a = this.active;
    return {
      active: a ? { runId: a.job.runId, status: a.status, since: a.since, progress: a.progress } : null,
      queued: this.waiting.map((j) => j.runId),
    };
  }

  /** 'running' or 'paused' while the run is the active job (which ends after its features are stored), else undefined. */
  activeStatus(runId: string): 'running' | 'paused' | undefined {
    return this.active?.job.runId === runId ? this.active.status : undefined;
  }

  /** True when the run trains now or waits its turn. */
  holds(runId: string): boolean {
    return this.active?.job.runId === runId || this.waiting.some((j) => j.runId === runId);
  }

  /** Trains the job now, or queues it behind the running one. Returns whether it was queued. */
  enqueue(job: TrainJob): boolean {
    if (this.closing) throw new ApiError('E_STATE', 'The workbench is shutting down; start the run again after it restarts.');
    if (this.holds(job.runId)) throw new ApiError('E_BUSY', `Run '${job.runId}' is training or queued already.`);
    const queued = this.active !== undefined;
    let resolve: Outcome['resolve'] = () => {};
    let reject: Outcome['reject'] = () => {};
    const promise = new Promise<TrainResult>((yes, no) => ((resolve = yes), (reject = no)));
    promise.catch(() => {}); // a caller that never asks for the outcome leaves no unhandled rejection
    this.outcomes.set(job.runId, { promise, resolve, reject });
    this.waiting.push(job);
    if (!queued) this.next();
    this.onJobsChanged();
    return queued;
  }

  /** Resolves when a run this queue took ends (completed, stopped, diverged), or rejects with its failure. */
  outcome(runId: string): Promise<TrainResult> {
    const outcome = this.outcomes.get(runId);
    if (!outcome) return Promise.reject(new ApiError('E_STATE', `Run '${runId}' was not given to this training queue.`));
    return outcome.promise;
  }

  /** Settles the outcome of a run that ended. */
  private settle(runId: string, ended: { result: TrainResult } | { error: Error }): void {
    const outcome = this.outcomes.get(runId);
    this.outcomes.delete(runId);
    if (!outcome) return;
    if ('result' in ended) outcome.resolve(ended.result);
    else outcome.reject(ended.error);
  }

  async control(runId: string, action: ControlAction): Promise<void> {
    const queuedAt = this.waiting.findIndex((j) => j.runId === runId);
    if (queuedAt >= 0) {
      if (action !== 'stop') throw new ApiError('E_STATE', `Run '${runId}' is waiting in the queue and has not started; it can only be taken off the queue (stop).`);
      this.waiting.splice(queuedAt, 1);
      const detail = 'Taken off the queue before it started; resume it to train it.';
      this.context.log.updateRun(runId, { status: 'stopped', statusDetail: detail });
      this.settle(runId, { result: notStarted(detail) });
      this.context.emit({ type: 'run:status', runId, status: 'stopped' });
      this.onJobsChanged();
      return;
    }
    if (this.active?.job.runId !== runId) throw new ApiError('E_STATE', `Run '${runId}' is not training now.`);
    if (action === 'pause' && this.active.status === 'paused') return;
    if (action === 'resume' && this.active.status === 'running') return;
    if (!this.active.started) {
      // The compute side is still starting the run (loading its dataset and model): steer it once it has.
      this.active.waitingActions.push(action);
      return;
    }
    const reached = await this.context.compute.call('control', { runId, action });
    if (!reached) throw new ApiError('E_STATE', `Run '${runId}' is not training on the compute side any more.`);
  }

  private next(): void {
    if (this.active || this.closing) return;
    const job = this.waiting.shift();
    if (!job) return;
    const since = new Date().toISOString();
    const backend = { name: 'pending', device: 'pending' };
    const active: ActiveJob = {
      job,
      status: 'running',
      since,
      epochs: job.kind === 'start' ? job.recipe.epochs : (job.epochs ?? 0),
      progress: null,
      lastStepEvent: 0,
      listener: recordingListener(this.context.log, job.runId, backend),
      done: Promise.resolve(),
      started: false,
      waitingActions: [],
    };
    this.active = active;
    active.done = this.context.compute
      .backend()
      .then((info) => {
        backend.name = info.name;
        backend.device = info.device;
        return this.context.compute.call('train', job);
      })
      .then(
        (result) => this.finished(this.ended(active), result),
        (error: unknown) => this.failed(this.ended(active), error),
      )
      .finally(() => {
        this.ended(active);
        this.onJobsChanged();
        this.next();
      });
  }

  private onTrainEvent(active: ActiveJob, event: TrainEvent): void {
    const { context } = this;
    const runId = active.job.runId;
    try {
      active.listener(event);
    } catch (error) {
      // The run log cannot be written (a full disk): stop at this step, so that nothing more goes unrecorded.
      if (active.recordFailure === undefined) {
        active.recordFailure = error;
        context.emit({ type: 'notice', runId, level: 'error', code: 'run-log-failed', message: `The run log cannot be written (${systemFailure(error) ?? (error as Error).message}); training stops at this step. Free the space, then resume the run.` });
        void context.compute.call('control', { runId, action: 'stop' }).catch(() => false);
      }
    }
    switch (event.type) {
      case 'started':
        active.started = true;
        for (const action of active.waitingActions.splice(0)) void context.compute.call('control', { runId, action }).catch(() => false);
        active.epochs = event.recipe.epochs;
        context.emit({ type: 'run:started', runId, backend: event.backend, device: event.device, stepsPerEpoch: event.stepsPerEpoch, trainImages: event.trainImages, testImages: event.testImages });
        context.emit({ type: 'run:status', runId, status: 'running' });
        this.onJobsChanged();
        break;
      case 'step': {
        active.progress = {
          epoch: event.epoch,
          epochs: active.epochs,
          stepInEpoch: event.stepInEpoch,
          stepsPerEpoch: event.stepsPerEpoch,
          globalStep: event.globalStep,
          loss: event.loss,
          learningRate: event.learningRate,
          imagesPerSecond: event.imagesPerSecond,
          etaSeconds: event.etaSeconds,
        };
        const now = performance.now();
        if (now - active.lastStepEvent >= STEP_EVENT_INTERVAL_MS || event.stepInEpoch === event.stepsPerEpoch) {
          active.lastStepEvent = now;
          context.emit({ type: 'run:step', runId, ...active.progress });
        }
        break;
      }
      case 'epoch': {
        const { type: _type, deadReluFraction: _dead, ...epoch } = event;
        context.emit({ type: 'run:epoch', runId, ...epoch });
        break;
      }
      case 'learning-rate':
        context.emit({ type: 'run:learning-rate', runId, ...learningRateChange(event) });
        context.emit({ type: 'notice', runId, level: 'info', code: `learning-rate-${event.reason}`, message: describeLearningRateChange(event) });
        break;
      case 'notice':
        context.emit({ type: 'notice', runId, level: event.level, code: event.code, message: event.message });
        break;
      case 'paused':
      case 'resumed':
        active.status = event.type === 'paused' ? 'paused' : 'running';
        context.emit({ type: 'run:status', runId, status: active.status });
        this.onJobsChanged();
        break;
      default:
        break;
    }
  }

  /**
   * Takes the job off the compute side's slot before its end is announced, so that a state read by any request
   * answered after the announcement (train:control's, jobs:state's) no longer shows it as training.
   */
  private ended(active: ActiveJob): ActiveJob {
    if (this.active === active) this.active = undefined;
    return active;
  }

  private finished(active: ActiveJob, result: TrainResult): void {
    const runId = active.job.runId;
    try {
      active.listener.flush();
    } catch (error) {
      active.recordFailure ??= error;
    }
    // The trainer ended well, but the run log lost part of it: the run counts as failed, for that reason.
    if (active.recordFailure !== undefined) return this.failed(active, active.recordFailure);
    this.context.emit({ type: 'run:status', runId, status: result.outcome });
    this.context.emit({ type: 'run:finished', runId, outcome: result.outcome, message: result.message });
    this.settle(runId, { result });
  }

  private failed(active: ActiveJob, error: unknown): void {
    const runId = active.job.runId;
    try {
      active.listener.flush();
    } catch {
      // The steps not yet written are lost with the disk; the failure below says why.
    }
    // A failure of the run log itself says so, over the trainer's own error (stopped by the queue because of it).
    const cause = active.recordFailure ?? error;
    const message = markFailed(this.context.log, runId, cause);
    this.context.emit({ type: 'notice', runId, level: 'error', code: 'failed', message });
    this.context.emit({ type: 'run:status', runId, status: 'failed' });
    this.context.emit({ type: 'run:finished', runId, outcome: 'failed', message });
    this.settle(runId, { error: Object.assign(new Error(message), { cause }) });
  }

  /** Stops the running job at its current step (it writes a checkpoint) and waits for it; queued runs are marked stopped. */
  async close(): Promise<void> {
    this.closing = true;
    for (const job of this.waiting.splice(0)) {
      const detail = 'The workbench closed before this run started; resume it to train it.';
      this.context.log.updateRun(job.runId, { status: 'stopped', statusDetail: detail });
      this.settle(job.runId, { result: notStarted(detail) });
    }
    const active = this.active;
    if (!active) return;
    await this.context.compute.call('control', { runId: active.job.runId, action: 'stop' }).catch(() => false);
    await active.done;
  }
}

/** The result of a run that ended before its first step (taken off the queue, or the workbench closed first). */
function notStarted(message: string): TrainResult {
  return { outcome: 'stopped', message, position: { epoch: 0, stepInEpoch: 0, globalStep: 0 }, bestTop1Error: null, lastCheckpoint: undefined };
}
