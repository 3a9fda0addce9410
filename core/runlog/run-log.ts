// The run log: typed reads and writes of datasets, runs, metrics, checkpoints, kernels, evaluations and notices.
import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { faultPoint } from '../fault-points';
import type { LearningRateChange } from '../train/schedule';
import { RUN_STATUSES, type EpochRecord, type NoticeLevel, type Preset, type RunStatus } from '../vocabulary';
import { openDatabase } from './database';

export { RUN_STATUSES };
export type { NoticeLevel, RunStatus };

export interface DatasetRow {
  id: string;
  name: string;
  /** The folder the images were imported from. */
  source: string;
  /** The folder holding the imported copy. */
  dir: string;
  labels: string[];
  counts: unknown;
  report: unknown;
  createdAt: string;
  updatedAt: string;
}
export type NewDataset = Omit<DatasetRow, 'createdAt' | 'updatedAt'>;

export interface RunRow {
  id: string;
  datasetId: string;
  name: string;
  preset: Preset;
  config: unknown;
  recipe: string;
  seed: number;
  backend: string;
  device: string;
  codeVersion: string;
  status: RunStatus;
  statusDetail: string | null;
  /** The process training it while 'running' or 'paused'; null otherwise. */
  pid: number | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  epochsPlanned: number;
  epochsDone: number;
  stepsDone: number;
  bestTop1Error: number | null;
  lastCheckpointId: number | null;
}
export type NewRun = Pick<RunRow, 'id' | 'datasetId' | 'name' | 'preset' | 'config' | 'recipe' | 'seed' | 'backend' | 'device' | 'codeVersion' | 'status' | 'epochsPlanned'>;
export type RunPatch = Partial<Omit<RunRow, 'id' | 'datasetId' | 'createdAt' | 'updatedAt'>>;
export interface RunFilter {
  datasetId?: string;
  status?: RunStatus;
}

export interface StepMetricRow {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  imagesPerSecond: number;
  time: string;
}

/** An epoch as stored; NaN figures (which SQLite cannot store) come back as null. */
export interface EpochMetricRow extends EpochRecord {
  deadReluFraction: number | null;
}

export interface CheckpointRow {
  id: number;
  runId: string;
  epoch: number;
  step: number;
  path: string;
  bytes: number;
  sha256: string;
  createdAt: string;
}
export type NewCheckpoint = Omit<CheckpointRow, 'id' | 'createdAt'>;

/** conv1's weights at one moment, kept apart from checkpoints so pruning old checkpoints keeps the kernels' history. */
export interface KernelSnapshotRow {
  runId: string;
  epoch: number;
  step: number;
  shape: number[];
  /** Raw float32 weights, laid out as the writer chose (the recorder stores each tower's `shape` block in turn). */
  data: Buffer;
}

export interface EvaluationRow {
  id: number;
  runId: string;
  checkpointId: number | null;
  split: 'train' | 'test';
  crops: 'centre' | 'ten';
  top1Error: number;
  top5Error: number;
  loss: number | null;
  /** Null for a class with no images in the split. */
  perClassAccuracy: (number | null)[];
  /** [true class][predicted class] counts. */
  confusion: number[][];
  createdAt: string;
}
export type NewEvaluation = Omit<EvaluationRow, 'id' | 'createdAt'>;

export interface NoticeRow {
  id: number;
  runId: string;
  time: string;
  level: NoticeLevel;
  /** A stable machine-readable name, e.g. 'stuck-at-chance', 'diverged'. */
  code: string;
  message: string;
}
export type NewNotice = Omit<NoticeRow, 'id' | 'time'>;

/** A run id that sorts by creation time (UTC, to the minute) with a random suffix: 'run-20261122-1130-ab12cd'. */
export function newRunId(now: Date = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${now.getUTCFullYear()}${two(now.getUTCMonth() + 1)}${two(now.getUTCDate())}`;
  const minute = `${two(now.getUTCHours())}${two(now.getUTCMinutes())}`;
  return `run-${day}-${minute}-${randomUUID().replaceAll('-', '').slice(0, 6)}`;
}

/** True while a process with this id exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The runs column behind each RunRow field. */
const RUN_COLUMNS: Record<keyof RunRow, string> = {
  id: 'id',
  datasetId: 'dataset_id',
  name: 'name',
  preset: 'preset',
  config: 'config_json',
  recipe: 'recipe',
  seed: 'seed',
  backend: 'backend',
  device: 'device',
  codeVersion: 'code_version',
  status: 'status',
  statusDetail: 'status_detail',
  pid: 'pid',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  epochsPlanned: 'epochs_planned',
  epochsDone: 'epochs_done',
  stepsDone: 'steps_done',
  bestTop1Error: 'best_top1_error',
  lastCheckpointId: 'last_checkpoint_id',
};
const IMMUTABLE_RUN_FIELDS = new Set<string>(['id', 'datasetId', 'createdAt', 'updatedAt']);

type Row = Record<string, unknown>;

function toRun(r: Row): RunRow {
  const out: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(RUN_COLUMNS)) out[field] = r[column];
  out.config = JSON.parse(r.config_json as string);
  return out as unknown as RunRow;
}

function toDataset(r: Row): DatasetRow {
  return {
    id: r.id as string,
    name: r.name as string,
    source: r.source as string,
    dir: r.dir as string,
    labels: JSON.parse(r.labels_json as string) as string[],
    counts: JSON.parse(r.counts_json as string),
    report: JSON.parse(r.report_json as string),
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

function toEvaluation(r: Row): EvaluationRow {
  return {
    id: r.id as number,
    runId: r.run_id as string,
    checkpointId: r.checkpoint_id as number | null,
    split: r.split as EvaluationRow['split'],
    crops: r.crops as EvaluationRow['crops'],
    top1Error: r.top1_error as number,
    top5Error: r.top5_error as number,
    loss: r.loss as number | null,
    perClassAccuracy: JSON.parse(r.per_class_accuracy_json as string) as (number | null)[],
    confusion: JSON.parse(r.confusion_json as string) as number[][],
    createdAt: r.created_at as string,
  };
}

function toKernelSnapshot(r: Row): KernelSnapshotRow {
  return { runId: r.run_id as string, epoch: r.epoch as number, step: r.step as number, shape: JSON.parse(r.shape_json as string) as number[], data: r.data as Buffer };
}

const CHECKPOINT_SELECT = 'SELECT id, run_id AS runId, epoch, step, path, bytes, sha256, created_at AS createdAt FROM checkpoints';

/** Every fixed statement, prepared once per connection. */
function prepareStatements(db: Database) {
  return {
    upsertDataset: db.prepare(
      `INSERT INTO datasets (id, name, source, dir, created_at, updated_at, labels_json, counts_json, report_json)
       VALUES (@id, @name, @source, @dir, @time, @time, @labels, @counts, @report)
       ON CONFLICT(id) DO UPDATE SET name = @name, source = @source, dir = @dir, updated_at = @time,
         labels_json = @labels, counts_json = @counts, report_json = @report`,
    ),
    getDataset: db.prepare('SELECT * FROM datasets WHERE id = ?'),
    deleteDataset: db.prepare('DELETE FROM datasets WHERE id = ?'),
    listDatasets: db.prepare('SELECT * FROM datasets ORDER BY created_at, id'),
    insertRun: db.prepare(
      `INSERT INTO runs (id, dataset_id, name, preset, config_json, recipe, seed, backend, device, code_version, status, created_at, updated_at, epochs_planned)
       VALUES (@id, @datasetId, @name, @preset, @config, @recipe, @seed, @backend, @device, @codeVersion, @status, @time, @time, @epochsPlanned)`,
    ),
    getRun: db.prepare('SELECT * FROM runs WHERE id = ?'),
    listRuns: db.prepare(
      `SELECT * FROM runs WHERE (@datasetId IS NULL OR dataset_id = @datasetId) AND (@status IS NULL OR status = @status) ORDER BY created_at, id`,
    ),
    liveRuns: db.prepare(`SELECT * FROM runs WHERE status IN ('running', 'paused')`),
    interrupt: db.prepare(
      `UPDATE runs SET status = 'interrupted', status_detail = @detail, pid = NULL, updated_at = @time
       WHERE id = @id AND status IN ('running', 'paused') AND pid IS @pid`,
    ),
    deleteRun: db.prepare('DELETE FROM runs WHERE id = ?'),
    insertStep: db.prepare(
      `INSERT OR REPLACE INTO step_metrics (run_id, step, epoch, loss, learning_rate, images_per_second, time)
       VALUES (@runId, @step, @epoch, @loss, @learningRate, @imagesPerSecond, @time)`,
    ),
    stepMetrics: db.prepare(
      `SELECT step, epoch, loss, learning_rate AS learningRate, images_per_second AS imagesPerSecond, time FROM step_metrics WHERE run_id = ? ORDER BY step`,
    ),
    insertEpoch: db.prepare(
      `INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, train_loss, train_top1_error, train_top5_error, validation_loss, validation_top1_error, validation_top5_error, learning_rate, seconds, dead_relu_fraction)
       VALUES (@runId, @epoch, @trainLoss, @trainTop1Error, @trainTop5Error, @validationLoss, @validationTop1Error, @validationTop5Error, @learningRate, @seconds, @deadReluFraction)`,
    ),
    epochMetrics: db.prepare(
      `SELECT epoch, train_loss AS trainLoss, train_top1_error AS trainTop1Error, train_top5_error AS trainTop5Error,
              validation_loss AS validationLoss, validation_top1_error AS validationTop1Error, validation_top5_error AS validationTop5Error,
              learning_rate AS learningRate, seconds, dead_relu_fraction AS deadReluFraction
       FROM epoch_metrics WHERE run_id = ? ORDER BY epoch`,
    ),
    insertCheckpoint: db.prepare(
      `INSERT INTO checkpoints (run_id, epoch, step, path, bytes, sha256, created_at) VALUES (@runId, @epoch, @step, @path, @bytes, @sha256, @time)`,
    ),
    getCheckpoint: db.prepare(`${CHECKPOINT_SELECT} WHERE id = ?`),
    checkpoints: db.prepare(`${CHECKPOINT_SELECT} WHERE run_id = ? ORDER BY step, id`),
    latestCheckpoint: db.prepare(`${CHECKPOINT_SELECT} WHERE run_id = ? ORDER BY step DESC, id DESC LIMIT 1`),
    forgetCheckpoint: db.prepare('UPDATE runs SET last_checkpoint_id = NULL WHERE last_checkpoint_id = ?'),
    deleteCheckpoint: db.prepare('DELETE FROM checkpoints WHERE id = ?'),
    insertKernels: db.prepare(`INSERT OR REPLACE INTO kernel_snapshots (run_id, epoch, step, shape_json, data) VALUES (@runId, @epoch, @step, @shape, @data)`),
    kernelSnapshots: db.prepare('SELECT run_id, epoch, step, shape_json, data FROM kernel_snapshots WHERE run_id = ? ORDER BY step'),
    insertEvaluation: db.prepare(
      `INSERT INTO evaluations (run_id, checkpoint_id, split, crops, top1_error, top5_error, loss, per_class_accuracy_json, confusion_json, created_at)
       VALUES (@runId, @checkpointId, @split, @crops, @top1Error, @top5Error, @loss, @perClass, @confusion, @time)`,
    ),
    getEvaluation: db.prepare('SELECT * FROM evaluations WHERE id = ?'),
    evaluations: db.prepare('SELECT * FROM evaluations WHERE run_id = ? ORDER BY id'),
    insertNotice: db.prepare(`INSERT INTO notices (run_id, time, level, code, message) VALUES (@runId, @time, @level, @code, @message)`),
    notices: db.prepare('SELECT id, run_id AS runId, time, level, code, message FROM notices WHERE run_id = ? ORDER BY id'),
    insertLearningRateChange: db.prepare(
      `INSERT OR IGNORE INTO learning_rate_changes (run_id, step, epoch, previous_learning_rate, learning_rate, reason, time) VALUES (@runId, @step, @epoch, @previousLearningRate, @learningRate, @reason, @time)`,
    ),
    learningRateChanges: db.prepare(
      'SELECT step, epoch, previous_learning_rate AS previousLearningRate, learning_rate AS learningRate, reason FROM learning_rate_changes WHERE run_id = ? ORDER BY step, learning_rate DESC',
    ),
  };
}

const now = () => new Date().toISOString();

export class RunLog {
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** updateRun's statements, one per set of patched fields. */
  private readonly updates = new Map<string, Statement>();

  private constructor(readonly db: Database) {
    this.statements = prepareStatements(db);
  }

  static open(file: string, options: { readonly?: boolean } = {}): RunLog {
    return new RunLog(openDatabase(file, options));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Inserts a dataset, or on re-import replaces everything but its id and createdAt. */
  upsertDataset(row: NewDataset): DatasetRow {
    this.statements.upsertDataset.run({
      id: row.id,
      name: row.name,
      source: row.source,
      dir: row.dir,
      time: now(),
      labels: JSON.stringify(row.labels),
      counts: JSON.stringify(row.counts),
      report: JSON.stringify(row.report),
    });
    return this.getDataset(row.id)!;
  }

  getDataset(id: string): DatasetRow | undefined {
    const r = this.statements.getDataset.get(id) as Row | undefined;
    return r ? toDataset(r) : undefined;
  }

  /** Removes a dataset's row; the foreign key refuses it while runs use the dataset. */
  deleteDataset(id: string): void {
    if (this.statements.deleteDataset.run(id).changes === 0) throw new Error(`Dataset '${id}' is not in the run log.`);
  }

  listDatasets(): DatasetRow[] {
    return (this.statements.listDatasets.all() as Row[]).map(toDataset);
  }

  createRun(row: NewRun): RunRow {
    checkOneOf('Preset', row.preset, ['paper', 'quick']);
    checkOneOf('Run status', row.status, RUN_STATUSES);
    if (!this.getDataset(row.datasetId)) throw new Error(`Dataset '${row.datasetId}' is not in the run log; import it before starting run '${row.id}'.`);
    if (this.getRun(row.id)) throw new Error(`Run '${row.id}' is already in the run log; use a new id (newRunId()).`);
    this.statements.insertRun.run({ ...row, config: JSON.stringify(row.config), time: now() });
    return this.getRun(row.id)!;
  }

  getRun(id: string): RunRow | undefined {
    const r = this.statements.getRun.get(id) as Row | undefined;
    return r ? toRun(r) : undefined;
  }

  /** Runs, oldest first. */
  listRuns(filter: RunFilter = {}): RunRow[] {
    return (this.statements.listRuns.all({ datasetId: filter.datasetId ?? null, status: filter.status ?? null }) as Row[]).map(toRun);
  }

  /** Sets the given fields (and updatedAt); returns the run as it now is. */
  updateRun(id: string, patch: RunPatch): RunRow {
    const fields = Object.keys(patch).filter((f) => patch[f as keyof RunPatch] !== undefined).sort();
    for (const field of fields) {
      if (!(field in RUN_COLUMNS)) throw new Error(`Runs have no field '${field}'; expected one of ${Object.keys(RUN_COLUMNS).join(', ')}.`);
      if (IMMUTABLE_RUN_FIELDS.has(field)) throw new Error(`A run's '${field}' cannot be changed (run '${id}').`);
    }
    if (patch.status !== undefined) checkOneOf('Run status', patch.status, RUN_STATUSES);
    if (patch.preset !== undefined) checkOneOf('Preset', patch.preset, ['paper', 'quick']);
    const key = fields.join(',');
    let statement = this.updates.get(key);
    if (!statement) {
      const sets = ['updated_at = @updatedAt', ...fields.map((f) => `${RUN_COLUMNS[f as keyof RunRow]} = @${f}`)];
      statement = this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`);
      this.updates.set(key, statement);
    }
    const values: Record<string, unknown> = { id, updatedAt: now() };
    for (const f of fields) values[f] = f === 'config' ? JSON.stringify(patch.config) : patch[f as keyof RunPatch];
    if (statement.run(values).changes === 0) throw new Error(`Run '${id}' is not in the run log.`);
    return this.getRun(id)!;
  }

  setRunStatus(id: string, status: RunStatus, detail: string | null = null): RunRow {
    return this.updateRun(id, { status, statusDetail: detail });
  }

  /**
   * Called at start: runs left 'running' or 'paused' by a process that no longer exists (crash, kill, power loss)
   * become 'interrupted', so they can be resumed. Returns them as they now are.
   */
  markInterruptedRuns(isAlive: (pid: number) => boolean = isProcessAlive): RunRow[] {
    const mark = this.db.transaction(() => {
      const dead = (this.statements.liveRuns.all() as Row[]).map(toRun).filter((r) => r.pid === null || !isAlive(r.pid));
      const marked: string[] = [];
      for (const run of dead) {
        const who = run.pid === null ? 'Its process is unknown' : `Its process (pid ${run.pid}) ended`;
        const detail = `${who} while the run was ${run.status}; resume it from its last checkpoint.`;
        // The WHERE repeats the check, so a run another process changed meanwhile is left alone.
        if (this.statements.interrupt.run({ id: run.id, pid: run.pid, detail, time: now() }).changes === 1) marked.push(run.id);
      }
      return marked;
    });
    return mark.immediate().map((id) => this.getRun(id)!);
  }

  /** Deletes a run and (by cascade) its metrics, checkpoint rows, kernels, evaluations and notices. Files stay. */
  deleteRun(id: string): void {
    if (this.statements.deleteRun.run(id).changes === 0) throw new Error(`Run '${id}' is not in the run log.`);
  }

  /** Writes a batch of step metrics in one transaction (a step written again replaces the old row). */
  addStepMetrics(runId: string, rows: readonly StepMetricRow[]): void {
    this.requireRun(runId);
    for (const row of rows) checkNumbers(`Step ${row.step} of run '${runId}'`, row, ['step', 'epoch', 'loss', 'learningRate', 'imagesPerSecond']);
    this.db.transaction(() => {
      for (const row of rows) {
        this.statements.insertStep.run({ runId, step: row.step, epoch: row.epoch, loss: row.loss, learningRate: row.learningRate, imagesPerSecond: row.imagesPerSecond, time: row.time });
        faultPoint('runlog:inside-step-transaction');
      }
    })();
  }

  stepMetrics(runId: string): StepMetricRow[] {
    return this.statements.stepMetrics.all(runId) as StepMetricRow[];
  }

  /** Writes one epoch's summary (an epoch written again replaces the old row). */
  addEpochMetrics(runId: string, row: EpochMetricRow): void {
    this.requireRun(runId);
    checkNumbers(`Epoch ${row.epoch} of run '${runId}'`, row, ['epoch', 'trainLoss', 'trainTop1Error', 'trainTop5Error', 'learningRate', 'seconds']);
    this.statements.insertEpoch.run({
      runId,
      epoch: row.epoch,
      trainLoss: row.trainLoss,
      trainTop1Error: row.trainTop1Error,
      trainTop5Error: row.trainTop5Error,
      validationLoss: numberOrNull(row.validationLoss),
      validationTop1Error: numberOrNull(row.validationTop1Error),
      validationTop5Error: numberOrNull(row.validationTop5Error),
      learningRate: row.learningRate,
      seconds: row.seconds,
      deadReluFraction: numberOrNull(row.deadReluFraction),
    });
  }

  epochMetrics(runId: string): EpochMetricRow[] {
    return this.statements.epochMetrics.all(runId) as EpochMetricRow[];
  }

  addCheckpoint(row: NewCheckpoint): CheckpointRow {
    this.requireRun(row.runId);
    const { lastInsertRowid } = this.statements.insertCheckpoint.run({ runId: row.runId, epoch: row.epoch, step: row.step, path: row.path, bytes: row.bytes, sha256: row.sha256, time: now() });
    return this.statements.getCheckpoint.get(lastInsertRowid) as CheckpointRow;
  }

  /** A run's checkpoint rows, oldest step first. */
  checkpoints(runId: string): CheckpointRow[] {
    return this.statements.checkpoints.all(runId) as CheckpointRow[];
  }

  latestCheckpoint(runId: string): CheckpointRow | undefined {
    return this.statements.latestCheckpoint.get(runId) as CheckpointRow | undefined;
  }

  /** Forgets a checkpoint whose file was pruned; a run pointing at it as its last checkpoint then points at none. */
  deleteCheckpointRow(id: number): void {
    this.db.transaction(() => {
      this.statements.forgetCheckpoint.run(id);
      this.statements.deleteCheckpoint.run(id);
    })();
  }

  /** Stores conv1's weights at a step (the same step written again replaces the old snapshot). */
  addKernelSnapshot(row: KernelSnapshotRow): void {
    this.requireRun(row.runId);
    this.statements.insertKernels.run({ runId: row.runId, epoch: row.epoch, step: row.step, shape: JSON.stringify(row.shape), data: row.data });
  }

  /** A run's kernel snapshots, oldest step first. */
  kernelSnapshots(runId: string): KernelSnapshotRow[] {
    return (this.statements.kernelSnapshots.all(runId) as Row[]).map(toKernelSnapshot);
  }

  addEvaluation(row: NewEvaluation): EvaluationRow {
    this.requireRun(row.runId);
    checkOneOf('Evaluation split', row.split, ['train', 'test']);
    checkOneOf('Evaluation crops', row.crops, ['centre', 'ten']);
    const { lastInsertRowid } = this.statements.insertEvaluation.run({
      runId: row.runId,
      checkpointId: row.checkpointId,
      split: row.split,
      crops: row.crops,
      top1Error: row.top1Error,
      top5Error: row.top5Error,
      loss: numberOrNull(row.loss),
      perClass: JSON.stringify(row.perClassAccuracy),
      confusion: JSON.stringify(row.confusion),
      time: now(),
    });
    return toEvaluation(this.statements.getEvaluation.get(lastInsertRowid) as Row);
  }

  /** A run's evaluations, oldest first. */
  evaluations(runId: string): EvaluationRow[] {
    return (this.statements.evaluations.all(runId) as Row[]).map(toEvaluation);
  }

  /** Records a division of the learning rate (the same one recorded twice, as after a resume, is kept once). */
  addLearningRateChange(runId: string, change: LearningRateChange): void {
    checkOneOf('Learning-rate change reason', change.reason, ['plateau', 'manual']);
    this.statements.insertLearningRateChange.run({ runId, ...change, time: now() });
  }

  /** The run's learning-rate changes in the order they took effect. */
  learningRateChanges(runId: string): LearningRateChange[] {
    return this.statements.learningRateChanges.all(runId) as LearningRateChange[];
  }

  addNotice(row: NewNotice): void {
    this.requireRun(row.runId);
    checkOneOf('Notice level', row.level, ['info', 'warning', 'error']);
    this.statements.insertNotice.run({ runId: row.runId, time: now(), level: row.level, code: row.code, message: row.message });
  }

  /** A run's notices, oldest first. */
  notices(runId: string): NoticeRow[] {
    return this.statements.notices.all(runId) as NoticeRow[];
  }

  /** A clear message instead of SQLite's bare 'FOREIGN KEY constraint failed'. */
  private requireRun(runId: string): void {
    if (!this.statements.getRun.get(runId)) throw new Error(`Run '${runId}' is not in the run log.`);
  }
}

function checkOneOf<T extends string>(what: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) throw new Error(`${what} '${value}' is not allowed; use one of ${allowed.map((a) => `'${a}'`).join(', ')}.`);
}

/** SQLite stores ±Infinity in a REAL column but turns NaN into NULL, which the NOT NULL columns refuse. */
function checkNumbers<T extends object>(what: string, row: T, fields: readonly (keyof T & string)[]): void {
  for (const field of fields) {
    const value = row[field];
    if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`${what} has ${field} ${String(value)}; expected a number.`);
  }
}

/** Nullable REAL columns: NaN (which SQLite cannot store) and undefined are recorded as null. */
function numberOrNull(x: number | null | undefined): number | null {
  return x === null || x === undefined || Number.isNaN(x) ? null : x;
}
