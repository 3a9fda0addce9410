// Runs on the host side: creates a run in the log with its settings, finds how one resumes (its checkpoints, adopted
// or verified), records its events and marks it failed. The training itself is a TrainJob (core/compute/
// training-job.ts) that the training queue (core/service) has the compute side run.
import fs from 'node:fs';
import path from 'node:path';
import type { BackendInfo } from '../backend/backend';
import type { Dataset } from '../dataset/dataset';
import { applyAblations, paperConfig, quickConfig, type ModelConfig } from '../model/config';
import type { Ablations, Preset } from '../vocabulary';
import type { RunLog, RunRow } from '../runlog/run-log';
import { newRunId } from '../runlog/run-log';
import type { TrainEvent, TrainListener } from '../train/events';
import { systemFailure } from '../system-errors';
import { checkpointProblem, readCheckpointHeader } from '../train/checkpoint';
import { recipe as makeRecipe, validateRecipe, type Recipe, type RecipeName } from '../train/recipe';
import { runDirectory, type Workspace } from '../workspace';
import { codeVersion } from '../version';
import { runRecorder } from './recorder';
import type { TrainJob } from '../compute/training-job';
import { counted } from '../words';

export interface TrainingRequest {
  dataset: Dataset;
  preset: Preset;
  recipe: RecipeName;
  /** Settings that replace the recipe's (epochs, batch size, learning rate, patience, PCA noise). */
  overrides?: Partial<Pick<Recipe, 'epochs' | 'batchSize' | 'learningRate' | 'patience' | 'pcaNoise'>>;
  ablations?: Partial<Ablations>;
  seed: number;
  name?: string;
  /** Stop after this many steps in total (the run is then 'stopped' and resumable). */
  maxSteps?: number;
}

/** The run's recipe after overrides and the PCA-noise ablation. */
export function resolveRecipe(request: Pick<TrainingRequest, 'preset' | 'recipe' | 'overrides' | 'ablations'>): Recipe {
  const base = makeRecipe(request.recipe, request.preset);
  const merged: Recipe = { ...base, ...request.overrides };
  if (request.ablations?.noPcaNoise) merged.pcaNoise = false;
  validateRecipe(merged);
  return merged;
}

/** The model of a request: the preset's for the dataset's classes, with the ablations applied. */
export function resolveConfig(request: Pick<TrainingRequest, 'preset' | 'ablations'>, classes: number): ModelConfig {
  const base = request.preset === 'paper' ? paperConfig(classes) : quickConfig(classes);
  return applyAblations(base, request.ablations ?? {});
}

/** What a run of this request records as its configuration: its model, its recipe and the ablations asked for. */
export function runSettings(request: Pick<TrainingRequest, 'dataset' | 'preset' | 'recipe' | 'overrides' | 'ablations'>): { model: ModelConfig; recipe: Recipe; ablations: NonNullable<TrainingRequest['ablations']> } {
  return { model: resolveConfig(request, request.dataset.labels.length), recipe: resolveRecipe(request), ablations: request.ablations ?? {} };
}

/** Creates the run in the log and its folder; returns the job that trains it. Nothing is trained yet. */
export function createRun(workspace: Workspace, log: RunLog, backend: Pick<BackendInfo, 'name' | 'device'>, request: TrainingRequest): TrainJob & { kind: 'start' } {
  const settings = runSettings(request);
  const { model: config, recipe } = settings;
  const runId = newRunId();
  const runDir = runDirectory(workspace, runId);
  fs.mkdirSync(runDir, { recursive: true });
  log.createRun({
    id: runId,
    datasetId: request.dataset.manifest.id,
    name: request.name ?? `${request.preset} ${recipe.name} seed ${request.seed}`,
    preset: request.preset,
    config: settings,
    recipe: recipe.name,
    seed: request.seed,
    backend: backend.name,
    device: backend.device,
    codeVersion: codeVersion(),
    status: 'created',
    epochsPlanned: recipe.epochs,
  });
  return {
    kind: 'start',
    runId,
    datasetDir: request.dataset.dir,
    runDir,
    config,
    recipe,
    seed: request.seed,
    ...(request.maxSteps !== undefined ? { maxSteps: request.maxSteps } : {}),
  };
}

/** Checks that a run can be resumed and returns the job that continues it from its newest checkpoint. */
export function resumeJob(
  workspace: Workspace,
  log: RunLog,
  backend: Pick<BackendInfo, 'name' | 'device'>,
  runId: string,
  options: { epochs?: number; maxSteps?: number } = {},
): TrainJob {
  const run = log.getRun(runId);
  if (!run) throw new Error(`Run '${runId}' is not in the run log.`);
  if (run.status === 'running' || run.status === 'paused') throw new Error(`Run '${runId}' is already ${run.status} (process ${run.pid}).`);
  const refusal = importedRunRefusal(run);
  if (refusal) throw new Error(refusal);
  if (run.status === 'completed' && (options.epochs === undefined || options.epochs <= run.epochsDone)) {
    throw new Error(`Run '${runId}' has completed its ${counted(run.epochsPlanned, 'epoch')}; resume it with more epochs to train further.`);
  }
  const dataset = log.getDataset(run.datasetId);
  if (!dataset) throw new Error(`The dataset '${run.datasetId}' of run '${runId}' is not in the run log.`);
  const runDir = runDirectory(workspace, runId);
  adoptCheckpointFiles(log, runId, runDir);
  const checkpoint = newestUsableCheckpoint(log, runId);
  if (!checkpoint && (run.stepsDone === 0 || log.checkpoints(runId).length === 0 || log.notices(runId).some((n) => n.code === 'damaged-checkpoint'))) {
    // A run that never trained (it was taken off the queue, or the app closed first), or whose first checkpoint the
    // run log never recorded (a full disk), starts from its settings: the same seed trains the same steps again.
    const { model, recipe } = run.config as { model: ModelConfig; recipe: Recipe };
    const epochs = options.epochs ?? recipe.epochs;
    if (options.epochs !== undefined) log.updateRun(runId, { epochsPlanned: epochs });
    return { kind: 'start', runId, datasetDir: dataset.dir, runDir, config: model, recipe: { ...recipe, epochs }, seed: run.seed, ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}) };
  }
  if (!checkpoint) throw new Error(`Run '${runId}' has no checkpoint to resume from.`);
  if (options.epochs !== undefined) log.updateRun(runId, { epochsPlanned: options.epochs });
  log.addNotice({ runId, level: 'info', code: 'resumed', message: `Resumed from '${checkpoint}' on ${backend.name} (${backend.device}).` });
  return {
    kind: 'resume',
    runId,
    datasetDir: dataset.dir,
    runDir,
    checkpoint,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
  };
}

/** Why a run cannot be trained further here: it was trained by a cluster job, whose optimizer state stayed there. */
export function importedRunRefusal(run: Pick<RunRow, 'id' | 'config'>): string | undefined {
  const trainedBy = (run.config as { trainedBy?: { job: string } } | null)?.trainedBy;
  if (!trainedBy) return undefined;
  return `Run '${run.id}' was trained by PyTorch DDP (cluster job '${trainedBy.job}') and imported; its optimizer state stayed with the job, so it cannot be resumed here. Write a new cluster job (alexnet cluster-job) to train further.`;
}

/** The newest checkpoint file of a run that still exists on disk (not verified: see newestUsableCheckpoint). */
export function newestReadableCheckpoint(log: RunLog, runId: string): string | undefined {
  const rows = log.checkpoints(runId).filter((c) => fs.existsSync(c.path));
  rows.sort((a, b) => a.step - b.step || a.id - b.id);
  return rows[rows.length - 1]?.path;
}

/**
 * Adopts checkpoint files of the run's folder that the run log does not know: written by the compute side while the
 * log could not record them (a full disk, a crash between the two). Each must be whole and belong to the run, and
 * the log must hold the run's record up to it (its epochs, and its steps as the log keeps them, core/workbench/
 * recorder.ts): a checkpoint past a gap in the record is left alone, and training resumes from the one before (or
 * from the start), training the same steps again and recording them, so that the curves have no hole.
 */
export function adoptCheckpointFiles(log: RunLog, runId: string, runDir: string): void {
  const dir = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(dir)) return;
  const known = new Set(log.checkpoints(runId).map((c) => c.path));
  const epochs = new Set(log.epochMetrics(runId).map((e) => e.epoch));
  const lastStep = log.stepMetrics(runId).reduce((last, s) => Math.max(last, s.step), 0);
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort()) {
    const file = path.join(dir, name);
    if (known.has(file)) continue;
    const header = readCheckpointHeader(file);
    if (!header || header.runId !== runId || checkpointProblem(file)) continue;
    const { epoch, globalStep } = header.position;
    // Steps past 10,000 are kept one in 10, past 100,000 one in 100 (and the last of each epoch).
    const thinning = globalStep <= 10_000 ? 0 : globalStep <= 100_000 ? 9 : 99;
    const recorded = Array.from({ length: epoch }, (_, i) => i + 1).every((e) => epochs.has(e)) && lastStep >= globalStep - thinning;
    if (!recorded) {
      log.addNotice({ runId, level: 'info', code: 'checkpoint-not-adopted', message: `Checkpoint '${file}' was written, but the run log lost the metrics before it; training resumes from an earlier point and records those steps again.` });
      continue;
    }
    log.addCheckpoint({ runId, epoch: header.position.epoch, step: header.position.globalStep, path: file, bytes: header.bytes, sha256: header.sha256 });
    log.addNotice({ runId, level: 'info', code: 'checkpoint-adopted', message: `Checkpoint '${file}' was written but not recorded (the run log could not take it); it is used now.` });
  }
}

/** Whether the run's folder holds checkpoint files (recorded or not). */
export function hasCheckpointFiles(runDir: string): boolean {
  const dir = path.join(runDir, 'checkpoints');
  return fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.ckpt'));
}

/**
 * The newest checkpoint of a run that is whole (its checksum verified). A damaged one is not used: it is renamed
 * `<name>.damaged` (kept for inspection, never found again), its row is forgotten, and a notice says so.
 */
export function newestUsableCheckpoint(log: RunLog, runId: string): string | undefined {
  for (;;) {
    const newest = newestReadableCheckpoint(log, runId);
    if (!newest) return undefined;
    const problem = checkpointProblem(newest);
    if (!problem) return newest;
    fs.renameSync(newest, `${newest}.damaged`);
    for (const row of log.checkpoints(runId)) if (row.path === newest) log.deleteCheckpointRow(row.id);
    const fallback = newestReadableCheckpoint(log, runId);
    log.addNotice({
      runId,
      level: 'warning',
      code: 'damaged-checkpoint',
      message: `${problem} It is not used (kept as '${newest}.damaged'); ${fallback ? `the run goes on from the previous checkpoint, '${fallback}'` : 'no earlier checkpoint is left, so the run starts again from its beginning'}.`,
    });
  }
}

/** Writes a run's events to the log (and passes them on), stamping the backend into 'started'. */
export function recordingListener(log: RunLog, runId: string, backend: Pick<BackendInfo, 'name' | 'device'>, onEvent?: TrainListener): TrainListener & { flush(): void } {
  const recorder = runRecorder(log, runId);
  const listener = (event: TrainEvent) => {
    const e = event.type === 'started' ? { ...event, backend: backend.name, device: backend.device } : event;
    recorder(e);
    onEvent?.(e);
  };
  return Object.assign(listener, { flush: recorder.flush });
}

/**
 * Marks a run failed after training threw (disk full, device lost); its checkpoints stay resumable. Answers the
 * message, which says the failure in words even when the run log cannot take it (then the run shows as interrupted
 * at the next start).
 */
export function markFailed(log: RunLog, runId: string, error: unknown): string {
  const cause = (systemFailure(error) ?? (error instanceof Error ? error.message : String(error))).replace(/\.$/, '');
  const message = `Training failed: ${cause}. The last checkpoint is kept; resume when the cause is fixed.`;
  try {
    log.updateRun(runId, { status: 'failed', statusDetail: message, pid: null, finishedAt: new Date().toISOString() });
    log.addNotice({ runId, level: 'error', code: 'failed', message });
    return message;
  } catch {
    return `Training failed: ${cause}. The last checkpoint is kept, but the run log could not record this failure either; resume the run when the cause is fixed.`;
  }
}
