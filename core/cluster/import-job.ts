// Brings a finished cluster job back as a run: its weights converted to the workbench's layout in a checkpoint, its
// per-epoch metrics, conv1's history and its configuration, "trained by PyTorch DDP on N processes" as its backend.
// Host side: it writes the run log.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { openDataset } from '../dataset/dataset';
import { validateConfig, type ModelConfig } from '../model/config';
import type { EpochMetricRow, RunLog, RunRow } from '../runlog/run-log';
import { newRunId } from '../runlog/run-log';
import { checkpointFileName, writeCheckpoint } from '../train/checkpoint';
import { RECIPE_NAMES, validateRecipe } from '../train/recipe';
import { describeLearningRateChange, type LearningRateChange, type ScheduleState } from '../train/schedule';
import { resolveConfig } from '../workbench/training';
import { runDirectory, type Workspace } from '../workspace';
import { datasetFingerprint, JOB_FILE, JOB_FORMAT, JOB_VERSION, type ClusterJob } from './job';
import { fromTorch, towerKernelFromTorch, type TorchParameter } from './pytorch-layout';

/** run/model.json, written by train_ddp.py at the end of training. */
interface TrainedModel {
  format: string;
  version: number;
  job: string;
  layout: 'pytorch';
  parameters: { name: string; shape: number[] }[];
  bytes: number;
  sha256: string;
  conv1: { epochs: number; shape: number[]; sha256: string };
  epochs: number;
  /** The plateau rule's state at the end (the same fields as the workbench's). */
  schedule: ScheduleState;
  processes: number;
  device: string;
  torch: string;
  seconds: number;
}

/** One line of run/metrics.jsonl: the run log's epoch record (no dead-ReLU fraction), with the images and processes. */
type JobEpoch = Omit<EpochMetricRow, 'deadReluFraction'> & { images: number; processes: number };

/** What import-job records with the run's settings, besides { model, recipe, ablations }. */
export interface TrainedBy {
  engine: 'pytorch-ddp';
  processes: number;
  device: string;
  torch: string;
  job: string;
  folder: string;
}

export class JobError extends Error {
  override name = 'JobError';
}

function readJson<T>(file: string, what: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new JobError(`${what} '${file}' is missing.`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new JobError(`${what} '${file}' is damaged: ${(error as Error).message}.`);
  }
}

/** job.json of a job folder, checked to be a job this version reads. */
export function readJob(folder: string): ClusterJob {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw new JobError(`Job folder '${folder}' does not exist.`);
  const file = path.join(folder, JOB_FILE);
  if (!fs.existsSync(file)) throw new JobError(`'${folder}' is not a cluster job: it has no ${JOB_FILE} (write one with alexnet cluster-job).`);
  const job = readJson<Partial<ClusterJob>>(file, 'Job file');
  if (job.format !== JOB_FORMAT) throw new JobError(`'${file}' is not an AlexNet Workbench cluster job (format ${JSON.stringify(job.format)}).`);
  if (job.version !== JOB_VERSION) {
    throw new JobError(`Job '${folder}' has format version ${JSON.stringify(job.version)} (written by AlexNet Workbench ${job.workbench ?? 'of another version'}); this workbench reads version ${JOB_VERSION}.`);
  }
  return job as ClusterJob;
}

/** The model and recipe of a job as this workbench builds them; a job it cannot rebuild is refused, saying why. */
export function checkJobSettings(job: ClusterJob): void {
  const refuse = (why: string) => {
    throw new JobError(`Job '${job.id}' asks for a configuration this workbench cannot rebuild: ${why}.`);
  };
  try {
    validateConfig(job.model);
  } catch (error) {
    refuse((error as Error).message.replace(/\.$/, ''));
  }
  if (job.model.preset !== 'paper' && job.model.preset !== 'quick') refuse(`preset ${JSON.stringify(job.model.preset)} is not paper or quick`);
  const rebuilt = resolveConfig({ preset: job.model.preset, ablations: job.ablations }, job.model.classes);
  if (!isDeepStrictEqual(rebuilt, job.model)) refuse(`its model ${JSON.stringify(job.model)} is not the ${job.model.preset} preset with its ablations (${JSON.stringify(rebuilt)})`);
  if (!RECIPE_NAMES.includes(job.recipe.name)) refuse(`recipe ${JSON.stringify(job.recipe.name)} is not one of ${RECIPE_NAMES.join(', ')}`);
  try {
    validateRecipe(job.recipe);
  } catch (error) {
    refuse((error as Error).message.replace(/\.$/, ''));
  }
  if (job.dataset.labels.length !== job.model.classes) refuse(`its dataset has ${job.dataset.labels.length} classes and its model ${job.model.classes}`);
}

/** A float32 little-endian file whose size and SHA-256 must be as recorded. */
function readFloats(file: string, bytes: number, sha256: string, what: string): Float32Array {
  if (!fs.existsSync(file)) throw new JobError(`${what} '${file}' is missing; the job has not finished, or its run/ folder was not copied back whole.`);
  const buffer = fs.readFileSync(file);
  if (buffer.length !== bytes) throw new JobError(`${what} '${file}' is damaged: ${buffer.length} bytes, expected ${bytes}.`);
  if (createHash('sha256').update(buffer).digest('hex') !== sha256) throw new JobError(`${what} '${file}' is damaged: its SHA-256 does not match run/model.json.`);
  const floats = new Float32Array(buffer.length / 4);
  new Uint8Array(floats.buffer).set(buffer);
  return floats;
}

/** The trained weights of a finished job (run/model.json and run/model.f32), in PyTorch's layout. */
export function readTrainedModel(folder: string, job: ClusterJob): { model: TrainedModel; parameters: TorchParameter[]; conv1: Float32Array } {
  const run = path.join(folder, 'run');
  const file = path.join(run, 'model.json');
  if (!fs.existsSync(file)) {
    const progress = path.join(run, 'progress.json');
    const where = fs.existsSync(progress) ? (() => {
      try {
        const p = JSON.parse(fs.readFileSync(progress, 'utf8')) as { epoch: number; epochs: number; step: number; steps: number };
        return ` (it was last at epoch ${p.epoch} of ${p.epochs}, step ${p.step} of ${p.steps})`;
      } catch {
        return '';
      }
    })() : '';
    throw new JobError(`Job '${folder}' has not finished: run/model.json is missing${where}. Train it with torchrun (its README.md), then import it.`);
  }
  const model = readJson<TrainedModel>(file, 'Trained model');
  if (model.format !== JOB_FORMAT || model.version !== JOB_VERSION) throw new JobError(`'${file}' has format version ${JSON.stringify(model.version)}; this workbench reads version ${JOB_VERSION}.`);
  if (model.job !== job.id) throw new JobError(`'${file}' belongs to job '${model.job}', not to this folder's job '${job.id}'.`);
  if (model.layout !== 'pytorch' || !Array.isArray(model.parameters)) throw new JobError(`'${file}' does not describe PyTorch parameters.`);
  const floats = readFloats(path.join(run, 'model.f32'), model.bytes, model.sha256, 'Trained weights');
  const parameters: TorchParameter[] = [];
  let offset = 0;
  for (const p of model.parameters) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (offset + size > floats.length) throw new JobError(`'${file}' lists more values than run/model.f32 holds.`);
    parameters.push({ name: p.name, shape: p.shape, values: floats.subarray(offset, offset + size) });
    offset += size;
  }
  if (offset !== floats.length) throw new JobError(`run/model.f32 holds ${floats.length - offset} values that '${file}' does not list.`);
  const c = model.conv1;
  const perEpoch = c.shape.reduce((a, b) => a * b, 1);
  const conv1 = readFloats(path.join(run, 'conv1.f32'), c.epochs * perEpoch * 4, c.sha256, "conv1's history");
  return { model, parameters, conv1 };
}

function readMetrics(folder: string, epochs: number): JobEpoch[] {
  const file = path.join(folder, 'run', 'metrics.jsonl');
  if (!fs.existsSync(file)) throw new JobError(`The job's metrics '${file}' are missing.`);
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const rows = lines.map((line, i) => {
    try {
      return JSON.parse(line) as JobEpoch;
    } catch {
      throw new JobError(`Line ${i + 1} of '${file}' is damaged.`);
    }
  });
  if (rows.length !== epochs || rows.some((r, i) => r.epoch !== i + 1)) throw new JobError(`'${file}' has ${rows.length} epochs; the trained model has ${epochs}.`);
  return rows;
}

function readEvents(folder: string): { event: string; attempt: number; fromEpoch?: number; processes?: number; time: string }[] {
  const file = path.join(folder, 'run', 'events.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { event: string; attempt: number; fromEpoch?: number; processes?: number; time: string }];
      } catch {
        return []; // a line cut by a crash says nothing the metrics do not
      }
    });
}

/** The run a job was imported as, if it was. */
export function importedRun(log: RunLog, jobId: string): RunRow | undefined {
  return log.listRuns().find((r) => (r.config as { trainedBy?: TrainedBy } | null)?.trainedBy?.job === jobId);
}

export interface ImportedJob {
  run: RunRow;
  checkpoint: string;
  job: ClusterJob;
  /** PyTorch's own centre-crop evaluation of the weights (run/evaluation.json), when the job has a test split. */
  pytorchTop1Error: number | null;
}

/** Creates a run from a finished job folder. Nothing is written before every check has passed. */
export function importClusterJob(workspace: Workspace, log: RunLog, folder: string, codeVersion: string): ImportedJob {
  const jobFolder = path.resolve(folder);
  const job = readJob(jobFolder);
  checkJobSettings(job);
  const earlier = importedRun(log, job.id);
  if (earlier) throw new JobError(`Job '${job.id}' was imported already, as run '${earlier.id}'.`);
  const { model: trained, parameters, conv1 } = readTrainedModel(jobFolder, job);
  const config: ModelConfig = job.model;
  let weights: Map<string, Float32Array>;
  try {
    weights = fromTorch(config, parameters);
  } catch (error) {
    throw new JobError(`Job '${jobFolder}': ${(error as Error).message}`);
  }
  const metrics = readMetrics(jobFolder, trained.epochs);

  const datasetRow = log.getDataset(job.dataset.id);
  if (!datasetRow) {
    throw new JobError(`The job's dataset '${job.dataset.name}' (${job.dataset.id}) is not in this workbench's run log; import '${job.dataset.source}' first, or import the job where it was written.`);
  }
  const dataset = openDataset(datasetRow.dir);
  try {
    if (datasetFingerprint(dataset) !== job.dataset.fingerprint) {
      throw new JobError(`Dataset '${job.dataset.name}' (${job.dataset.id}) has changed since job '${job.id}' was written (its images, labels or split differ from the job's fingerprint); the job's weights belong to the dataset in its data/ folder.`);
    }
  } finally {
    dataset.close();
  }

  const stepsPerEpoch = metrics.map((m) => Math.floor(m.images / job.recipe.batchSize));
  const globalStep = stepsPerEpoch.reduce((a, b) => a + b, 0);
  const evaluation = (() => {
    const file = path.join(jobFolder, 'run', 'evaluation.json');
    return fs.existsSync(file) ? readJson<{ top1Error: number; count: number }>(file, 'PyTorch evaluation') : undefined;
  })();
  const schedule = trained.schedule;
  const runId = newRunId();
  const runDir = runDirectory(workspace, runId);
  const checkpoint = path.join(runDir, 'checkpoints', checkpointFileName({ epoch: trained.epochs, stepInEpoch: 0, globalStep }));
  const trainedBy: TrainedBy = { engine: 'pytorch-ddp', processes: trained.processes, device: trained.device, torch: trained.torch, job: job.id, folder: jobFolder };
  const written = writeCheckpoint(checkpoint, {
    runId,
    config,
    recipe: job.recipe,
    seed: job.seed,
    position: { epoch: trained.epochs, stepInEpoch: 0, globalStep },
    schedule,
    order: [],
    rng: { seed: job.seed, epoch: trained.epochs, globalStep },
    epochTotals: { loss: 0, correct1: 0, correct5: 0, images: 0, seconds: 0 },
    weights,
    optimizer: { name: job.recipe.optimizer.name, step: globalStep, slots: new Map() },
  });

  const events = readEvents(jobFolder);
  const started = events.find((e) => e.event === 'attempt')?.time ?? null;
  const finished = [...events].reverse().find((e) => e.event === 'finished')?.time ?? null;
  const best = metrics.reduce<number | null>((b, m) => (m.validationTop1Error === null ? b : b === null ? m.validationTop1Error : Math.min(b, m.validationTop1Error)), null);
  const processes = `${trained.processes} process${trained.processes === 1 ? '' : 'es'}`;
  log.createRun({
    id: runId,
    datasetId: job.dataset.id,
    name: `${config.preset} ${job.recipe.name} seed ${job.seed} (PyTorch DDP)`,
    preset: config.preset,
    config: { model: config, recipe: job.recipe, ablations: job.ablations, trainedBy },
    recipe: job.recipe.name,
    seed: job.seed,
    backend: `trained by PyTorch DDP on ${processes}`,
    device: `${trained.device}; PyTorch ${trained.torch}`,
    codeVersion: `${codeVersion} (imported job ${job.id}, written by ${job.workbench})`,
    status: 'created',
    epochsPlanned: job.recipe.epochs,
  });
  for (const { images: _images, processes: _processes, ...epoch } of metrics) log.addEpochMetrics(runId, { ...epoch, deadReluFraction: null });
  // conv1 after every epoch (epoch 0: the job's initial weights), for the Kernels view and Figure 3's baseline.
  const shape = trained.conv1.shape;
  const perEpoch = shape.reduce((a, b) => a * b, 1);
  let step = 0;
  for (let e = 0; e < trained.conv1.epochs; e++) {
    const values = conv1.subarray(e * perEpoch, (e + 1) * perEpoch);
    const towers = Array.from({ length: config.towers }, (_, t) => towerKernelFromTorch(values, shape, t, config.towers));
    log.addKernelSnapshot({
      runId,
      epoch: e,
      step,
      shape: [shape[2]!, shape[3]!, shape[1]!, shape[0]! / config.towers],
      data: Buffer.concat(towers.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength))),
    });
    step += stepsPerEpoch[e] ?? 0;
  }
  const row = log.addCheckpoint({ runId, epoch: trained.epochs, step: globalStep, path: checkpoint, bytes: written.bytes, sha256: written.sha256 });
  for (const drop of schedule.drops) {
    // The job's plateau rule divides after an epoch's last step.
    const done = stepsPerEpoch.slice(0, drop.epoch).reduce((a, b) => a + b, 0);
    const change: LearningRateChange = { step: done, epoch: drop.epoch, previousLearningRate: drop.learningRate * 10, learningRate: drop.learningRate, reason: drop.reason };
    log.addLearningRateChange(runId, change);
    log.addNotice({ runId, level: 'info', code: `learning-rate-${drop.reason}`, message: describeLearningRateChange(change) });
  }
  for (const e of events.filter((x) => x.event === 'attempt' && x.attempt > 0)) {
    log.addNotice({ runId, level: 'info', code: 'job-restarted', message: `The job was restarted (attempt ${e.attempt + 1}, ${e.processes} processes) and continued from its checkpoint after epoch ${e.fromEpoch}.` });
  }
  log.addNotice({
    runId,
    level: 'info',
    code: 'imported-job',
    message: `Trained by PyTorch DDP on ${processes} (${trained.device}; PyTorch ${trained.torch}) from cluster job '${job.id}' in '${jobFolder}', ${trained.seconds.toFixed(0)} s${evaluation ? `; PyTorch's own centre-crop top-1 error on the ${evaluation.count} test images: ${(evaluation.top1Error * 100).toFixed(1)} %` : ''}.`,
  });
  const run = log.updateRun(runId, {
    status: 'completed',
    statusDetail: `Imported from cluster job '${job.id}' (PyTorch DDP, ${processes}).`,
    epochsDone: trained.epochs,
    stepsDone: globalStep,
    bestTop1Error: best,
    lastCheckpointId: row.id,
    startedAt: started,
    finishedAt: finished,
  });
  return { run, checkpoint, job, pytorchTop1Error: evaluation?.top1Error ?? null };
}
