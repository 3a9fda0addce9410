// Starts and resumes training runs: creates the run in the log, wires the recorder, and stores fc7 features at the end.
import fs from 'node:fs';
import type { BackendInfo } from '../backend/backend';
import type { Dataset } from '../dataset/dataset';
import { applyAblations, paperConfig, quickConfig, type Ablations, type Preset } from '../model/config';
import type { RunLog } from '../runlog/run-log';
import { newRunId } from '../runlog/run-log';
import type { TrainEvent, TrainListener } from '../train/events';
import { recipe as makeRecipe, validateRecipe, type Recipe, type RecipeName } from '../train/recipe';
import { Trainer, type TrainResult } from '../train/trainer';
import { runDirectory, type Workspace } from '../workspace';
import { codeVersion } from './version';
import { runRecorder } from './recorder';
import { storeTrainingFeatures } from './features';

export interface TrainingRequest {
  dataset: Dataset;
  preset: Preset;
  recipe: RecipeName;
  /** Settings that replace the recipe's (epochs, batch size, learning rate, patience, PCA noise). */
  overrides?: Partial<Pick<Recipe, 'epochs' | 'batchSize' | 'learningRate' | 'patience' | 'pcaNoise'>>;
  ablations?: Ablations & { noPcaNoise?: boolean };
  seed: number;
  name?: string;
  /** Stop after this many steps in total (the run is then 'stopped' and resumable). */
  maxSteps?: number;
}

export interface TrainingSession {
  runId: string;
  trainer: Trainer;
  /** Resolves when the run ends (completed, stopped, diverged); features are stored after a completed run. */
  done: Promise<TrainResult>;
}

/** The run's recipe after overrides and the PCA-noise ablation. */
export function resolveRecipe(request: TrainingRequest): Recipe {
  const base = makeRecipe(request.recipe, request.preset);
  const merged: Recipe = { ...base, ...request.overrides };
  if (request.ablations?.noPcaNoise) merged.pcaNoise = false;
  validateRecipe(merged);
  return merged;
}

export function startTraining(
  workspace: Workspace,
  log: RunLog,
  backend: BackendInfo,
  request: TrainingRequest,
  onEvent?: TrainListener,
): TrainingSession {
  const classes = request.dataset.labels.length;
  const base = request.preset === 'paper' ? paperConfig(classes) : quickConfig(classes);
  const config = applyAblations(base, request.ablations ?? {});
  const recipe = resolveRecipe(request);
  const runId = newRunId();
  const runDir = runDirectory(workspace, runId);
  fs.mkdirSync(runDir, { recursive: true });
  log.createRun({
    id: runId,
    datasetId: request.dataset.manifest.id,
    name: request.name ?? `${request.preset} ${recipe.name} seed ${request.seed}`,
    preset: request.preset,
    config: { model: config, recipe, ablations: request.ablations ?? {} },
    recipe: recipe.name,
    seed: request.seed,
    backend: backend.name,
    device: backend.device,
    codeVersion: codeVersion(),
    status: 'created',
    epochsPlanned: recipe.epochs,
  });
  const trainer = Trainer.create({
    runId,
    dataset: request.dataset,
    config,
    recipe,
    seed: request.seed,
    runDir,
    ...(request.maxSteps !== undefined ? { maxSteps: request.maxSteps } : {}),
    onEvent: wire(log, runId, backend, onEvent),
  });
  return { runId, trainer, done: finish(log, runId, trainer, request.dataset, runDir, onEvent) };
}

/** Continues an interrupted or stopped run from its newest checkpoint. */
export function resumeTraining(
  workspace: Workspace,
  log: RunLog,
  backend: BackendInfo,
  runId: string,
  dataset: Dataset,
  options: { epochs?: number; maxSteps?: number } = {},
  onEvent?: TrainListener,
): TrainingSession {
  const run = log.getRun(runId);
  if (!run) throw new Error(`Run '${runId}' is not in the run log.`);
  if (run.status === 'running') throw new Error(`Run '${runId}' is already running (process ${run.pid}).`);
  const checkpoint = newestReadableCheckpoint(log, runId);
  if (!checkpoint) throw new Error(`Run '${runId}' has no checkpoint to resume from.`);
  const runDir = runDirectory(workspace, runId);
  if (options.epochs !== undefined) log.updateRun(runId, { epochsPlanned: options.epochs });
  const trainer = Trainer.resume({
    runId,
    dataset,
    runDir,
    checkpoint,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
    onEvent: wire(log, runId, backend, onEvent),
  });
  log.addNotice({ runId, level: 'info', code: 'resumed', message: `Resumed from '${checkpoint}' on ${backend.name} (${backend.device}).` });
  return { runId, trainer, done: finish(log, runId, trainer, dataset, runDir, onEvent) };
}

/** The newest checkpoint file of a run that still exists on disk. */
export function newestReadableCheckpoint(log: RunLog, runId: string): string | undefined {
  const rows = log.checkpoints(runId).filter((c) => fs.existsSync(c.path));
  rows.sort((a, b) => a.step - b.step || a.id - b.id);
  return rows[rows.length - 1]?.path;
}

function wire(log: RunLog, runId: string, backend: BackendInfo, onEvent?: TrainListener): TrainListener {
  const recorder = runRecorder(log, runId);
  return (event: TrainEvent) => {
    const e = event.type === 'started' ? { ...event, backend: backend.name, device: backend.device } : event;
    recorder(e);
    onEvent?.(e);
  };
}

async function finish(log: RunLog, runId: string, trainer: Trainer, dataset: Dataset, runDir: string, onEvent?: TrainListener): Promise<TrainResult> {
  try {
    let result: TrainResult;
    try {
      result = await trainer.run();
    } catch (error) {
      // An unexpected failure (disk full, device lost): the run is marked failed, its checkpoints stay resumable.
      const message = `Training failed: ${(error as Error).message}. The last checkpoint is kept; resume when the cause is fixed.`;
      log.updateRun(runId, { status: 'failed', statusDetail: message, pid: null, finishedAt: new Date().toISOString() });
      log.addNotice({ runId, level: 'error', code: 'failed', message });
      throw error;
    }
    if (result.outcome === 'completed') {
      await storeTrainingFeatures(trainer.network, dataset, runDir, trainer.inputScale);
      onEvent?.({ type: 'notice', level: 'info', code: 'features', message: `Stored fc7 features of ${dataset.entries('train').length} training images.` });
    }
    return result;
  } finally {
    trainer.dispose();
  }
}
