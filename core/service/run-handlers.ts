// The run history channels: the list, one run's whole record (for curves, comparisons and notices), and deletion.
import fs from 'node:fs';
import { ApiError, type EpochPoint, type RunDetail, type RunSummary, type StepPoint } from '../api/contract';
import type { RunRow, StepMetricRow } from '../runlog/run-log';
import { exportFolder } from '../workbench/export-run';
import { runModelFiles } from '../workbench/run-files';
import { hasCheckpointFiles, newestReadableCheckpoint } from '../workbench/training';
import { runDirectory } from '../workspace';
import { requireRun, type ServiceContext } from './context';
import type { Handlers } from './dispatch';
import type { TrainingQueue } from './training-queue';

type RunHandlers = Pick<Handlers, 'runs:list' | 'runs:get' | 'runs:delete' | 'runs:export'>;

/** Per-step points sent with a run, at most. */
const MAX_STEP_POINTS = 2000;
const RESUMABLE = new Set(['stopped', 'interrupted', 'failed', 'diverged']);

/**
 * The status to show: the queue's while the run is its active job (the log says 'completed' before the features are
 * stored); 'interrupted' for a run the log calls live in this process although no job holds it (its end could not be
 * recorded, on a full disk say).
 */
export function shownStatus(run: RunRow, queue: TrainingQueue): RunRow['status'] {
  const active = queue.activeStatus(run.id);
  if (active) return active;
  return (run.status === 'running' || run.status === 'paused') && run.pid === process.pid && !queue.holds(run.id) ? 'interrupted' : run.status;
}

export function runSummary(context: ServiceContext, run: RunRow, queue: TrainingQueue): RunSummary {
  const { log } = context;
  const status = shownStatus(run, queue);
  const canStart = run.stepsDone === 0 && (status === 'created' || status === 'stopped');
  return {
    id: run.id,
    name: run.name,
    status,
    statusDetail: run.statusDetail,
    preset: run.preset,
    recipe: run.recipe,
    seed: run.seed,
    datasetId: run.datasetId,
    datasetName: log.getDataset(run.datasetId)?.name ?? null,
    backend: run.backend,
    device: run.device,
    epochsDone: run.epochsDone,
    epochsPlanned: run.epochsPlanned,
    stepsDone: run.stepsDone,
    bestTop1Error: run.bestTop1Error,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
    resumable: !queue.holds(run.id) && ((RESUMABLE.has(status) && (newestReadableCheckpoint(log, run.id) !== undefined || hasCheckpointFiles(runDirectory(context.workspace, run.id)))) || canStart),
  };
}

/** The run's configuration as dotted keys ('model.convWidths', 'recipe.optimizer.name'), to compare runs. */
export function flattenSettings(value: unknown, prefix = '', out: Record<string, string | number | boolean | null> = {}): Record<string, string | number | boolean | null> {
  if (value === null || value === undefined) out[prefix] = null;
  else if (Array.isArray(value)) out[prefix] = value.map(String).join(', ');
  else if (typeof value === 'object') for (const [key, inner] of Object.entries(value)) flattenSettings(inner, prefix ? `${prefix}.${key}` : key, out);
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[prefix] = value;
  else out[prefix] = String(value);
  return out;
}

/** At most `limit` points: consecutive steps averaged in equal buckets, each labelled with its last step. */
export function thinSteps(rows: readonly StepMetricRow[], limit = MAX_STEP_POINTS): StepPoint[] {
  const size = Math.max(1, Math.ceil(rows.length / limit));
  const out: StepPoint[] = [];
  for (let first = 0; first < rows.length; first += size) {
    const bucket = rows.slice(first, first + size);
    const mean = (pick: (r: StepMetricRow) => number) => bucket.reduce((s, r) => s + pick(r), 0) / bucket.length;
    const last = bucket[bucket.length - 1]!;
    out.push({ step: last.step, epoch: last.epoch, loss: mean((r) => r.loss), learningRate: last.learningRate, imagesPerSecond: mean((r) => r.imagesPerSecond) });
  }
  return out;
}

export function runHandlers(context: ServiceContext, queue: TrainingQueue): RunHandlers {
  const { log } = context;
  return {
    'runs:list': async () => log.listRuns().sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((run) => runSummary(context, run, queue)),
    'runs:get': async ({ runId }) => {
      const run = requireRun(log, runId);
      const epochs: EpochPoint[] = log.epochMetrics(runId).map(({ deadReluFraction: _dead, ...record }) => record);
      const checkpoints = log.checkpoints(runId).filter((c) => fs.existsSync(c.path));
      const detail: RunDetail = {
        ...runSummary(context, run, queue),
        settings: { ...flattenSettings(run.config), seed: run.seed, dataset: run.datasetId, backend: run.backend, device: run.device, codeVersion: run.codeVersion },
        epochs,
        steps: thinSteps(log.stepMetrics(runId)),
        learningRateDrops: log.learningRateChanges(runId),
        notices: log.notices(runId).map((n) => ({ time: n.time, level: n.level, code: n.code, message: n.message })),
        checkpoints: checkpoints.map((c) => ({ epoch: c.epoch, step: c.step, createdAt: c.createdAt })),
        evaluations: log.evaluations(runId).map((v) => ({ split: v.split, crops: v.crops, top1Error: v.top1Error, top5Error: v.top5Error, createdAt: v.createdAt })),
      };
      return detail;
    },
    'runs:delete': async ({ runId }) => {
      requireRun(log, runId);
      if (queue.holds(runId)) throw new ApiError('E_BUSY', `Run '${runId}' is training or queued; stop it before deleting it.`);
      log.deleteRun(runId);
      fs.rmSync(runDirectory(context.workspace, runId), { recursive: true, force: true });
      return { deleted: runId };
    },
    'runs:export': async ({ runId }) => {
      const run = requireRun(log, runId);
      let files;
      try {
        files = runModelFiles(log, runId);
      } catch (error) {
        throw new ApiError('E_STATE', (error as Error).message);
      }
      // On the compute side: writing a paper-sized model takes seconds, which the host's thread must not wait out.
      const written = await context.compute.call('export', { checkpoint: files.checkpoint, datasetDir: files.datasetDir, out: exportFolder(context.workspace, runId), run: { id: run.id, name: run.name } });
      const { downloads } = context;
      return {
        ...written,
        downloads: [
          downloads.issue(written.onnx, 'ONNX model (for onnxruntime and others; labels and preprocessing inside)'),
          downloads.issue(written.tfjsModel, 'TensorFlow.js model.json (keep it beside weights.bin)'),
          downloads.issue(written.tfjsWeights, 'TensorFlow.js weights.bin'),
        ],
      };
    },
  };
}
