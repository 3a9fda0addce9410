// The run log: typed reads and writes of datasets, runs, metrics, checkpoints, kernels, evaluations and notices.
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { openDatabase } from './database';

export type RunStatus = 'created' | 'running' | 'paused' | 'completed' | 'stopped' | 'interrupted' | 'failed' | 'diverged';

export interface DatasetRow {
  id: string;
  name: string;
  source: string;
  dir: string;
  labels: string[];
  counts: unknown;
  report: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface RunRow {
  id: string;
  datasetId: string;
  name: string;
  preset: 'paper' | 'quick';
  config: unknown;
  recipe: string;
  seed: number;
  backend: string;
  device: string;
  codeVersion: string;
  status: RunStatus;
  statusDetail: string | null;
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

export interface StepMetricRow {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  imagesPerSecond: number;
  time: string;
}

export interface EpochMetricRow {
  epoch: number;
  trainLoss: number;
  trainTop1Error: number;
  trainTop5Error: number;
  validationLoss: number | null;
  validationTop1Error: number | null;
  validationTop5Error: number | null;
  learningRate: number;
  seconds: number;
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

export interface KernelSnapshotRow {
  runId: string;
  epoch: number;
  step: number;
  shape: number[];
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
  perClassAccuracy: (number | null)[];
  confusion: number[][];
  createdAt: string;
}

export interface NoticeRow {
  id: number;
  runId: string;
  time: string;
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
}

/** A time-sortable run id with a random suffix, e.g. 'run-20261122-1130-ab12cd'. */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** True while a process with this id exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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

type Row = Record<string, unknown>;

function toRun(r: Row): RunRow {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(RUN_COLUMNS)) out[key] = r[column];
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

const now = () => new Date().toISOString();

export class RunLog {
  private constructor(readonly db: Database) {}

  static open(file: string): RunLog {
    return new RunLog(openDatabase(file));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  upsertDataset(row: Omit<DatasetRow, 'createdAt' | 'updatedAt'>): void {
    const time = now();
    this.db
      .prepare(
        `INSERT INTO datasets (id, name, source, dir, created_at, updated_at, labels_json, counts_json, report_json)
         VALUES (@id, @name, @source, @dir, @time, @time, @labels, @counts, @report)
         ON CONFLICT(id) DO UPDATE SET name = @name, source = @source, dir = @dir, updated_at = @time,
           labels_json = @labels, counts_json = @counts, report_json = @report`,
      )
      .run({ id: row.id, name: row.name, source: row.source, dir: row.dir, time, labels: JSON.stringify(row.labels), counts: JSON.stringify(row.counts), report: JSON.stringify(row.report) });
  }

  getDataset(id: string): DatasetRow | undefined {
    const r = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as Row | undefined;
    return r ? toDataset(r) : undefined;
  }

  listDatasets(): DatasetRow[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY created_at').all() as Row[]).map(toDataset);
  }

  createRun(row: NewRun): RunRow {
    const time = now();
    this.db
      .prepare(
        `INSERT INTO runs (id, dataset_id, name, preset, config_json, recipe, seed, backend, device, code_version, status, created_at, updated_at, epochs_planned)
         VALUES (@id, @datasetId, @name, @preset, @config, @recipe, @seed, @backend, @device, @codeVersion, @status, @time, @time, @epochsPlanned)`,
      )
      .run({ ...row, config: JSON.stringify(row.config), time });
    return this.getRun(row.id)!;
  }

  getRun(id: string): RunRow | undefined {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return r ? toRun(r) : undefined;
  }

  listRuns(filter: { datasetId?: string; status?: RunStatus } = {}): RunRow[] {
    const where: string[] = [];
    if (filter.datasetId) where.push('dataset_id = @datasetId');
    if (filter.status) where.push('status = @status');
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`;
    return (this.db.prepare(sql).all(filter) as Row[]).map(toRun);
  }

  updateRun(id: string, patch: RunPatch): void {
    const sets: string[] = ['updated_at = @updatedAt'];
    const values: Record<string, unknown> = { id, updatedAt: now() };
    for (const [key, value] of Object.entries(patch)) {
      const column = RUN_COLUMNS[key as keyof RunRow];
      if (!column) throw new Error(`Runs have no field '${key}'.`);
      sets.push(`${column} = @${key}`);
      values[key] = key === 'config' ? JSON.stringify(value) : value;
    }
    const result = this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`).run(values);
    if (result.changes === 0) throw new Error(`Run '${id}' is not in the run log.`);
  }

  setRunStatus(id: string, status: RunStatus, detail: string | null = null): void {
    this.updateRun(id, { status, statusDetail: detail });
  }

  /** Runs left 'running' or 'paused' by a process that no longer exists become 'interrupted'; returns them. */
  markInterruptedRuns(isAlive: (pid: number) => boolean = isProcessAlive): RunRow[] {
    const candidates = (this.db.prepare(`SELECT * FROM runs WHERE status IN ('running', 'paused')`).all() as Row[]).map(toRun);
    const dead = candidates.filter((r) => r.pid === null || !isAlive(r.pid));
    for (const r of dead) this.updateRun(r.id, { status: 'interrupted', statusDetail: `Its process (${r.pid ?? 'unknown'}) ended before the run finished.`, pid: null });
    return dead.map((r) => this.getRun(r.id)!);
  }

  deleteRun(id: string): void {
    this.db.prepare('DELETE FROM runs WHERE id = ?').run(id);
  }

  addStepMetrics(runId: string, rows: StepMetricRow[]): void {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO step_metrics (run_id, step, epoch, loss, learning_rate, images_per_second, time)
       VALUES (@runId, @step, @epoch, @loss, @learningRate, @imagesPerSecond, @time)`,
    );
    this.db.transaction(() => {
      for (const row of rows) insert.run({ runId, ...row });
    })();
  }

  stepMetrics(runId: string): StepMetricRow[] {
    return this.db
      .prepare(`SELECT step, epoch, loss, learning_rate AS learningRate, images_per_second AS imagesPerSecond, time FROM step_metrics WHERE run_id = ? ORDER BY step`)
      .all(runId) as StepMetricRow[];
  }

  addEpochMetrics(runId: string, row: EpochMetricRow): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, train_loss, train_top1_error, train_top5_error, validation_loss, validation_top1_error, validation_top5_error, learning_rate, seconds, dead_relu_fraction)
         VALUES (@runId, @epoch, @trainLoss, @trainTop1Error, @trainTop5Error, @validationLoss, @validationTop1Error, @validationTop5Error, @learningRate, @seconds, @deadReluFraction)`,
      )
      .run({ runId, ...row, validationLoss: finiteOrNull(row.validationLoss), validationTop1Error: finiteOrNull(row.validationTop1Error), validationTop5Error: finiteOrNull(row.validationTop5Error) });
  }

  epochMetrics(runId: string): EpochMetricRow[] {
    return this.db
      .prepare(
        `SELECT epoch, train_loss AS trainLoss, train_top1_error AS trainTop1Error, train_top5_error AS trainTop5Error,
                validation_loss AS validationLoss, validation_top1_error AS validationTop1Error, validation_top5_error AS validationTop5Error,
                learning_rate AS learningRate, seconds, dead_relu_fraction AS deadReluFraction
         FROM epoch_metrics WHERE run_id = ? ORDER BY epoch`,
      )
      .all(runId) as EpochMetricRow[];
  }

  addCheckpoint(row: Omit<CheckpointRow, 'id' | 'createdAt'>): CheckpointRow {
    const result = this.db
      .prepare(`INSERT INTO checkpoints (run_id, epoch, step, path, bytes, sha256, created_at) VALUES (@runId, @epoch, @step, @path, @bytes, @sha256, @createdAt)`)
      .run({ ...row, createdAt: now() });
    return this.checkpoints(row.runId).find((c) => c.id === Number(result.lastInsertRowid))!;
  }

  checkpoints(runId: string): CheckpointRow[] {
    return this.db
      .prepare(`SELECT id, run_id AS runId, epoch, step, path, bytes, sha256, created_at AS createdAt FROM checkpoints WHERE run_id = ? ORDER BY step, id`)
      .all(runId) as CheckpointRow[];
  }

  latestCheckpoint(runId: string): CheckpointRow | undefined {
    const all = this.checkpoints(runId);
    return all[all.length - 1];
  }

  deleteCheckpointRow(id: number): void {
    this.db.prepare('DELETE FROM checkpoints WHERE id = ?').run(id);
  }

  addKernelSnapshot(row: KernelSnapshotRow): void {
    this.db
      .prepare(`INSERT OR REPLACE INTO kernel_snapshots (run_id, epoch, step, shape_json, data) VALUES (@runId, @epoch, @step, @shape, @data)`)
      .run({ ...row, shape: JSON.stringify(row.shape) });
  }

  kernelSnapshots(runId: string): KernelSnapshotRow[] {
    return (this.db.prepare(`SELECT run_id, epoch, step, shape_json, data FROM kernel_snapshots WHERE run_id = ? ORDER BY step`).all(runId) as Row[]).map((r) => ({
      runId: r.run_id as string,
      epoch: r.epoch as number,
      step: r.step as number,
      shape: JSON.parse(r.shape_json as string) as number[],
      data: r.data as Buffer,
    }));
  }

  addEvaluation(row: Omit<EvaluationRow, 'id' | 'createdAt'>): number {
    const result = this.db
      .prepare(
        `INSERT INTO evaluations (run_id, checkpoint_id, split, crops, top1_error, top5_error, loss, per_class_accuracy_json, confusion_json, created_at)
         VALUES (@runId, @checkpointId, @split, @crops, @top1Error, @top5Error, @loss, @perClass, @confusion, @createdAt)`,
      )
      .run({ ...row, loss: finiteOrNull(row.loss), perClass: JSON.stringify(row.perClassAccuracy), confusion: JSON.stringify(row.confusion), createdAt: now() });
    return Number(result.lastInsertRowid);
  }

  evaluations(runId: string): EvaluationRow[] {
    return (this.db.prepare(`SELECT * FROM evaluations WHERE run_id = ? ORDER BY id`).all(runId) as Row[]).map((r) => ({
      id: r.id as number,
      runId: r.run_id as string,
      checkpointId: r.checkpoint_id as number | null,
      split: r.split as 'train' | 'test',
      crops: r.crops as 'centre' | 'ten',
      top1Error: r.top1_error as number,
      top5Error: r.top5_error as number,
      loss: r.loss as number | null,
      perClassAccuracy: JSON.parse(r.per_class_accuracy_json as string) as (number | null)[],
      confusion: JSON.parse(r.confusion_json as string) as number[][],
      createdAt: r.created_at as string,
    }));
  }

  addNotice(row: Omit<NoticeRow, 'id' | 'time'>): void {
    this.db.prepare(`INSERT INTO notices (run_id, time, level, code, message) VALUES (@runId, @time, @level, @code, @message)`).run({ ...row, time: now() });
  }

  notices(runId: string): NoticeRow[] {
    return this.db.prepare(`SELECT id, run_id AS runId, time, level, code, message FROM notices WHERE run_id = ? ORDER BY id`).all(runId) as NoticeRow[];
  }
}

function finiteOrNull(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}
