// Training in this process (the CLI, the reproduction, tests) through the app's own supervisor: the training queue
// records the run, steers it and reports its end, and the compute server trains it here, over an in-memory channel
// that carries the same messages as the app's child process or compute window.
import type { ControlAction } from '../api/contract';
import type { BackendInfo } from '../backend/backend';
import { ComputeServer } from '../compute/compute-server';
import { memoryChannel } from '../compute/memory-endpoint';
import type { TrainJob } from '../compute/training-job';
import type { RunLog } from '../runlog/run-log';
import type { TrainListener } from '../train/events';
import type { TrainResult } from '../train/trainer';
import { ComputeClient } from '../workbench/compute-client';
import { createRun, resumeJob, type TrainingRequest } from '../workbench/training';
import type { Workspace } from '../workspace';
import { ServiceContext } from './context';
import { PathPolicy } from './paths';
import { TrainingQueue } from './training-queue';

export interface TrainingSession {
  runId: string;
  /**
   * Resolves when the run ends (completed, stopped, diverged; the features are stored after a completed run), or
   * rejects with its failure in words (the run is then marked failed, its checkpoints kept; the cause is the original).
   */
  done: Promise<TrainResult>;
  /** Pauses, resumes, stops at the current step (with a checkpoint) or divides the learning rate, as the app's controls do. */
  control(action: ControlAction): Promise<void>;
}

/** Trains a new run in this process on `backend` (started already); `onEvent` sees every event once it is recorded. */
export function startTraining(workspace: Workspace, log: RunLog, backend: BackendInfo, request: TrainingRequest, onEvent?: TrainListener): TrainingSession {
  return supervise(workspace, log, backend, createRun(workspace, log, backend, request), onEvent);
}

/** Continues an interrupted or stopped run in this process from its newest checkpoint. */
export function resumeTraining(
  workspace: Workspace,
  log: RunLog,
  backend: BackendInfo,
  runId: string,
  options: { epochs?: number; maxSteps?: number } = {},
  onEvent?: TrainListener,
): TrainingSession {
  return supervise(workspace, log, backend, resumeJob(workspace, log, backend, runId, options), onEvent);
}

function supervise(workspace: Workspace, log: RunLog, backend: BackendInfo, job: TrainJob, onEvent?: TrainListener): TrainingSession {
  const [host, side] = memoryChannel();
  const server = new ComputeServer(side, undefined, Promise.resolve(backend));
  const compute = new ComputeClient(() => host, 'auto');
  const context = new ServiceContext(workspace, log, compute, new PathPolicy([]));
  // The queue listens first, so that an event is in the run log by the time `onEvent` sees it.
  const queue = new TrainingQueue(context, () => {});
  if (onEvent) compute.onEvent((runId, event) => runId === job.runId && onEvent(event));
  queue.enqueue(job);
  const done = queue.outcome(job.runId).finally(async () => {
    await server.close();
    compute.close();
    context.close();
  });
  return { runId: job.runId, done, control: (action) => queue.control(job.runId, action) };
}
