// Checks the run log on real SQLite files: round trips field by field, cascades, interrupted runs, two connections.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isProcessAlive, newRunId, RunLog, type EpochMetricRow, type NewDataset, type NewRun, type StepMetricRow } from './run-log';

const newFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runlog-')), 'runlog.sqlite');

const DATASET: NewDataset = {
  id: 'flowers-1a2b',
  name: 'flowers',
  source: '/photos/flowers',
  dir: '/home/datasets/flowers-1a2b',
  labels: ['daisy', 'rose', 'tulip'],
  counts: [{ label: 'daisy', train: 40, test: 10 }, { label: 'rose', train: 38, test: 9 }, { label: 'tulip', train: 41, test: 10 }],
  report: { imported: 148, skipped: [{ file: 'x.txt', reason: 'not an image' }] },
};

const newRun = (id: string, overrides: Partial<NewRun> = {}): NewRun => ({
  id,
  datasetId: DATASET.id,
  name: 'quick small-data seed 3',
  preset: 'quick',
  config: { model: { classes: 3, dropout: 0.5 }, recipe: { epochs: 2 } },
  recipe: 'small-data',
  seed: 3,
  backend: 'cpu',
  device: 'CPU (2 cores)',
  codeVersion: '0.1.0+abc123',
  status: 'created',
  epochsPlanned: 2,
  ...overrides,
});

/** True when `time` is an ISO timestamp within [before, after]. */
const within = (time: string, before: string, after: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(time) && time >= before && time <= after;

describe('newRunId', () => {
  it('spells the UTC date and minute, then six random hex digits', () => {
    const id = newRunId(new Date(Date.UTC(2026, 10, 22, 11, 30, 59)));
    expect(id).toMatch(/^run-20261122-1130-[0-9a-f]{6}$/);
    expect(newRunId(new Date(Date.UTC(2026, 0, 2, 3, 4)))).toMatch(/^run-20260102-0304-[0-9a-f]{6}$/);
  });

  it('sorts by time across minutes, days and years, and differs within a minute', () => {
    const times = [Date.UTC(2025, 11, 31, 23, 59), Date.UTC(2026, 0, 1, 0, 0), Date.UTC(2026, 0, 1, 0, 1), Date.UTC(2026, 9, 1, 9, 0)];
    const ids = times.map((t) => newRunId(new Date(t)));
    expect([...ids].sort()).toEqual(ids);
    const sameMinute = new Set(Array.from({ length: 50 }, () => newRunId(new Date(times[0]!))));
    expect(sameMinute.size).toBe(50);
  });
});

describe('RunLog', () => {
  it('reads back datasets and runs as written, and upserts a re-imported dataset', () => {
    const log = RunLog.open(newFile());
    const t0 = new Date().toISOString();
    const dataset = log.upsertDataset(DATASET);
    const run = log.createRun(newRun('run-a'));
    const t1 = new Date().toISOString();
    expect(dataset).toEqual({ ...DATASET, createdAt: dataset.createdAt, updatedAt: dataset.createdAt });
    expect(within(dataset.createdAt, t0, t1)).toBe(true);
    expect(log.getDataset(DATASET.id)).toEqual(dataset);
    expect(run).toEqual({
      ...newRun('run-a'),
      statusDetail: null,
      pid: null,
      createdAt: run.createdAt,
      updatedAt: run.createdAt,
      startedAt: null,
      finishedAt: null,
      epochsDone: 0,
      stepsDone: 0,
      bestTop1Error: null,
      lastCheckpointId: null,
    });
    expect(within(run.createdAt, t0, t1)).toBe(true);
    expect(log.getRun('run-a')).toEqual(run);
    expect(log.getRun('run-missing')).toBeUndefined();
    expect(log.getDataset('missing')).toBeUndefined();

    // A re-import replaces the dataset's contents but keeps its id and creation time.
    const again = log.upsertDataset({ ...DATASET, name: 'flowers (again)', labels: ['daisy', 'rose'], report: { imported: 99 } });
    expect(again).toEqual({ ...DATASET, name: 'flowers (again)', labels: ['daisy', 'rose'], report: { imported: 99 }, createdAt: dataset.createdAt, updatedAt: again.updatedAt });
    expect(again.updatedAt >= dataset.updatedAt).toBe(true);
    expect(log.listDatasets()).toEqual([again]);
    log.close();
  });

  it('updates runs, sets statuses and filters the list', () => {
    const log = RunLog.open(newFile());
    log.upsertDataset(DATASET);
    log.upsertDataset({ ...DATASET, id: 'other' });
    log.createRun(newRun('run-a'));
    log.createRun(newRun('run-b', { datasetId: 'other', preset: 'paper' }));
    const updated = log.updateRun('run-a', { status: 'running', pid: 4242, startedAt: '2026-11-22T11:30:00.000Z', epochsDone: 1, stepsDone: 37, bestTop1Error: 0.375, config: { changed: true } });
    expect(updated).toMatchObject({ status: 'running', pid: 4242, startedAt: '2026-11-22T11:30:00.000Z', epochsDone: 1, stepsDone: 37, bestTop1Error: 0.375, config: { changed: true }, name: 'quick small-data seed 3' });
    expect(log.getRun('run-a')).toEqual(updated);
    const failed = log.setRunStatus('run-b', 'failed', 'Training failed: disk full.');
    expect([failed.status, failed.statusDetail]).toEqual(['failed', 'Training failed: disk full.']);
    expect(log.setRunStatus('run-b', 'stopped').statusDetail).toBeNull();

    expect(log.listRuns().map((r) => r.id)).toEqual(['run-a', 'run-b']);
    expect(log.listRuns({ datasetId: 'other' }).map((r) => r.id)).toEqual(['run-b']);
    expect(log.listRuns({ status: 'running' }).map((r) => r.id)).toEqual(['run-a']);
    expect(log.listRuns({ datasetId: 'other', status: 'running' })).toEqual([]);
    log.close();
  });

  it('reads back metrics, checkpoints, kernels, evaluations and notices field by field', () => {
    const log = RunLog.open(newFile());
    log.upsertDataset(DATASET);
    const run = log.createRun(newRun(newRunId()));
    const steps: StepMetricRow[] = [
      { step: 2, epoch: 0, loss: 1.0986, learningRate: 0.01, imagesPerSecond: 41.5, time: '2026-11-22T11:30:02.000Z' },
      { step: 1, epoch: 0, loss: 1.1002, learningRate: 0.01, imagesPerSecond: Infinity, time: '2026-11-22T11:30:01.000Z' },
      { step: 3, epoch: 1, loss: 0.9, learningRate: 0.001, imagesPerSecond: 40.25, time: '2026-11-22T11:30:03.000Z' },
    ];
    log.addStepMetrics(run.id, steps.slice(0, 2));
    log.addStepMetrics(run.id, steps.slice(2));
    expect(log.stepMetrics(run.id)).toEqual([steps[1], steps[0], steps[2]]); // by step
    const redone = { ...steps[2]!, loss: 0.8 };
    log.addStepMetrics(run.id, [redone]); // a step written again (after a resume) replaces the old row
    expect(log.stepMetrics(run.id)).toEqual([steps[1], steps[0], redone]);

    const epochs: EpochMetricRow[] = [
      { epoch: 1, trainLoss: 1.05, trainTop1Error: 0.6, trainTop5Error: 0, validationLoss: 1.01, validationTop1Error: 0.55, validationTop5Error: 0, learningRate: 0.01, seconds: 12.5, deadReluFraction: 0.125 },
      { epoch: 2, trainLoss: 0.9, trainTop1Error: 0.4, trainTop5Error: 0, validationLoss: null, validationTop1Error: null, validationTop5Error: null, learningRate: 0.001, seconds: 11, deadReluFraction: null },
    ];
    log.addEpochMetrics(run.id, epochs[1]!);
    log.addEpochMetrics(run.id, epochs[0]!);
    expect(log.epochMetrics(run.id)).toEqual(epochs);

    const t0 = new Date().toISOString();
    const first = log.addCheckpoint({ runId: run.id, epoch: 1, step: 37, path: '/runs/a/checkpoints/e1.ckpt', bytes: 1234567, sha256: 'aa'.repeat(32) });
    const second = log.addCheckpoint({ runId: run.id, epoch: 2, step: 74, path: '/runs/a/checkpoints/e2.ckpt', bytes: 1234568, sha256: 'bb'.repeat(32) });
    const t1 = new Date().toISOString();
    expect(first).toEqual({ id: first.id, runId: run.id, epoch: 1, step: 37, path: '/runs/a/checkpoints/e1.ckpt', bytes: 1234567, sha256: 'aa'.repeat(32), createdAt: first.createdAt });
    expect(within(first.createdAt, t0, t1)).toBe(true);
    expect(second.id).not.toBe(first.id);
    expect(log.checkpoints(run.id)).toEqual([first, second]);
    expect(log.latestCheckpoint(run.id)).toEqual(second);
    log.updateRun(run.id, { lastCheckpointId: second.id });
    log.deleteCheckpointRow(second.id);
    expect(log.checkpoints(run.id)).toEqual([first]);
    expect(log.latestCheckpoint(run.id)).toEqual(first);
    expect(log.getRun(run.id)!.lastCheckpointId).toBeNull(); // no dangling reference to the forgotten row

    const weights = Float32Array.from({ length: 11 * 11 * 3 * 2 }, (_, i) => Math.fround(Math.sin(i) / 7));
    log.addKernelSnapshot({ runId: run.id, epoch: 1, step: 37, shape: [11, 11, 3, 2], data: Buffer.from(weights.buffer) });
    log.addKernelSnapshot({ runId: run.id, epoch: 0, step: 0, shape: [11, 11, 3, 2], data: Buffer.alloc(weights.byteLength) });
    const kernels = log.kernelSnapshots(run.id);
    expect(kernels.map((k) => [k.runId, k.epoch, k.step, k.shape])).toEqual([[run.id, 0, 0, [11, 11, 3, 2]], [run.id, 1, 37, [11, 11, 3, 2]]]);
    const stored = kernels[1]!.data;
    expect(Array.from(new Float32Array(stored.buffer, stored.byteOffset, stored.byteLength / 4))).toEqual(Array.from(weights));

    const evaluation = log.addEvaluation({ runId: run.id, checkpointId: first.id, split: 'test', crops: 'ten', top1Error: 0.3, top5Error: 0, loss: 0.75, perClassAccuracy: [0.9, null, 0.5], confusion: [[9, 1, 0], [0, 0, 0], [3, 2, 5]] });
    expect(evaluation).toEqual({ id: evaluation.id, runId: run.id, checkpointId: first.id, split: 'test', crops: 'ten', top1Error: 0.3, top5Error: 0, loss: 0.75, perClassAccuracy: [0.9, null, 0.5], confusion: [[9, 1, 0], [0, 0, 0], [3, 2, 5]], createdAt: evaluation.createdAt });
    const centre = log.addEvaluation({ runId: run.id, checkpointId: null, split: 'train', crops: 'centre', top1Error: 0.1, top5Error: 0, loss: NaN, perClassAccuracy: [1, 1, 0.7], confusion: [[1]] });
    expect(centre.loss).toBeNull();
    expect(log.evaluations(run.id)).toEqual([evaluation, centre]);

    log.addNotice({ runId: run.id, level: 'warning', code: 'stuck-at-chance', message: 'Top-1 error is 0.667 after 3 epochs, no better than chance (0.667).' });
    log.addNotice({ runId: run.id, level: 'info', code: 'resumed', message: 'Resumed.' });
    const notices = log.notices(run.id);
    expect(notices.map(({ runId, level, code, message }) => ({ runId, level, code, message }))).toEqual([
      { runId: run.id, level: 'warning', code: 'stuck-at-chance', message: 'Top-1 error is 0.667 after 3 epochs, no better than chance (0.667).' },
      { runId: run.id, level: 'info', code: 'resumed', message: 'Resumed.' },
    ]);
    expect(notices[0]!.id).toBeLessThan(notices[1]!.id);
    log.close();
  });

  it('deletes a run with everything it owns, and nothing of another run', () => {
    const log = RunLog.open(newFile());
    log.upsertDataset(DATASET);
    const fill = (id: string) => {
      log.createRun(newRun(id));
      log.addStepMetrics(id, [{ step: 1, epoch: 0, loss: 1, learningRate: 0.01, imagesPerSecond: 1, time: 't' }]);
      log.addEpochMetrics(id, { epoch: 1, trainLoss: 1, trainTop1Error: 1, trainTop5Error: 0, validationLoss: 1, validationTop1Error: 1, validationTop5Error: 0, learningRate: 0.01, seconds: 1, deadReluFraction: 0 });
      const checkpoint = log.addCheckpoint({ runId: id, epoch: 1, step: 1, path: `/c/${id}`, bytes: 1, sha256: 's' });
      log.updateRun(id, { lastCheckpointId: checkpoint.id });
      log.addKernelSnapshot({ runId: id, epoch: 1, step: 1, shape: [1], data: Buffer.alloc(4) });
      log.addEvaluation({ runId: id, checkpointId: checkpoint.id, split: 'test', crops: 'centre', top1Error: 1, top5Error: 0, loss: 1, perClassAccuracy: [], confusion: [] });
      log.addNotice({ runId: id, level: 'info', code: 'c', message: 'm' });
    };
    fill('run-gone');
    fill('run-kept');
    log.deleteRun('run-gone');
    expect(log.getRun('run-gone')).toBeUndefined();
    const tables = ['step_metrics', 'epoch_metrics', 'checkpoints', 'kernel_snapshots', 'evaluations', 'notices'];
    for (const table of tables) {
      expect([table, log.db.prepare(`SELECT run_id AS runId FROM ${table}`).all()]).toEqual([table, [{ runId: 'run-kept' }]]);
    }
    expect(log.getDataset(DATASET.id)).toBeDefined();
    expect(() => log.deleteRun('run-gone')).toThrow(`Run 'run-gone' is not in the run log.`);
    // A dataset that still has runs cannot be deleted from under them.
    expect(() => log.db.prepare('DELETE FROM datasets WHERE id = ?').run(DATASET.id)).toThrow(/FOREIGN KEY constraint failed/);
    log.close();
  });

  it('refuses bad input with messages that quote it', () => {
    const log = RunLog.open(newFile());
    log.upsertDataset(DATASET);
    expect(() => log.createRun(newRun('run-x', { datasetId: 'nope' }))).toThrow(`Dataset 'nope' is not in the run log; import it before starting run 'run-x'.`);
    expect(() => log.createRun(newRun('run-x', { status: 'sleeping' as never }))).toThrow(`Run status 'sleeping' is not allowed; use one of 'created', 'running',`);
    expect(() => log.createRun(newRun('run-x', { preset: 'huge' as never }))).toThrow(`Preset 'huge' is not allowed; use one of 'paper', 'quick'.`);
    log.createRun(newRun('run-x'));
    expect(() => log.createRun(newRun('run-x'))).toThrow(`Run 'run-x' is already in the run log`);
    expect(() => log.updateRun('run-x', { colour: 'red' } as never)).toThrow(`Runs have no field 'colour'`);
    expect(() => log.updateRun('run-x', { id: 'run-y' } as never)).toThrow(`A run's 'id' cannot be changed (run 'run-x').`);
    expect(() => log.updateRun('run-missing', { epochsDone: 1 })).toThrow(`Run 'run-missing' is not in the run log.`);
    expect(() => log.addStepMetrics('run-x', [{ step: 12, epoch: 0, loss: NaN, learningRate: 0.01, imagesPerSecond: 1, time: 't' }])).toThrow(`Step 12 of run 'run-x' has loss NaN; expected a number.`);
    expect(() => log.addStepMetrics('run-missing', [])).toThrow(`Run 'run-missing' is not in the run log.`);
    // A batch with one bad row writes nothing.
    expect(() =>
      log.addStepMetrics('run-x', [
        { step: 1, epoch: 0, loss: 1, learningRate: 0.01, imagesPerSecond: 1, time: 't' },
        { step: 2, epoch: 0, loss: 1, learningRate: 0.01, imagesPerSecond: 1, time: null as never },
      ]),
    ).toThrow(/NOT NULL constraint failed: step_metrics\.time/);
    expect(log.stepMetrics('run-x')).toEqual([]);
    expect(() => log.addNotice({ runId: 'run-x', level: 'fatal' as never, code: 'c', message: 'm' })).toThrow(`Notice level 'fatal' is not allowed`);
    log.close();
  });

  it('marks runs whose process died as interrupted, and leaves live and finished ones alone', () => {
    const log = RunLog.open(newFile());
    log.upsertDataset(DATASET);
    const child = spawnSync(process.execPath, ['-e', '0']); // spawnSync returns after the child has exited
    const deadPid = child.pid!;
    expect(isProcessAlive(deadPid)).toBe(false);
    expect(isProcessAlive(process.pid)).toBe(true);
    for (const id of ['run-dead', 'run-paused-dead', 'run-no-pid', 'run-alive', 'run-done']) log.createRun(newRun(id));
    log.updateRun('run-dead', { status: 'running', pid: deadPid });
    log.updateRun('run-paused-dead', { status: 'paused', pid: deadPid });
    log.updateRun('run-no-pid', { status: 'running' });
    log.updateRun('run-alive', { status: 'running', pid: process.pid });
    log.updateRun('run-done', { status: 'completed', pid: deadPid });

    const marked = log.markInterruptedRuns();
    expect(marked.map((r) => [r.id, r.status, r.pid]).sort()).toEqual([
      ['run-dead', 'interrupted', null],
      ['run-no-pid', 'interrupted', null],
      ['run-paused-dead', 'interrupted', null],
    ]);
    expect(log.getRun('run-dead')!.statusDetail).toBe(`Its process (pid ${deadPid}) ended while the run was running; resume it from its last checkpoint.`);
    expect(log.getRun('run-alive')).toMatchObject({ status: 'running', pid: process.pid });
    expect(log.getRun('run-done')).toMatchObject({ status: 'completed', pid: deadPid });
    expect(log.markInterruptedRuns()).toEqual([]); // nothing left to mark

    // The liveness check is the caller's: here every process counts as dead.
    expect(log.markInterruptedRuns(() => false).map((r) => r.id)).toEqual(['run-alive']);
    log.close();
  });

  it('shares one file between connections: two RunLogs here, and a writer in another process (WAL)', () => {
    const file = newFile();
    const writer = RunLog.open(file);
    const reader = RunLog.open(file);
    writer.upsertDataset(DATASET);
    writer.createRun(newRun('run-here'));
    expect(reader.getRun('run-here')!.name).toBe('quick small-data seed 3');
    // A reader in the middle of a read transaction keeps its snapshot while the writer commits (WAL, not a lock).
    const snapshot = reader.db.transaction(() => {
      const before = reader.stepMetrics('run-here').length;
      writer.addStepMetrics('run-here', [{ step: 1, epoch: 0, loss: 2, learningRate: 0.01, imagesPerSecond: 5, time: 't' }]);
      return [before, reader.stepMetrics('run-here').length];
    })();
    expect(snapshot).toEqual([0, 0]);
    expect(reader.stepMetrics('run-here').length).toBe(1);

    // Another process opens the same file while both connections here stay open, and writes a run of its own.
    const script = path.join(path.dirname(file), 'write.ts');
    const runLogModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run-log.ts');
    fs.writeFileSync(
      script,
      `import { RunLog } from ${JSON.stringify(runLogModule)};
       const log = RunLog.open(${JSON.stringify(file)});
       log.createRun({ id: 'run-there', datasetId: ${JSON.stringify(DATASET.id)}, name: 'from pid ' + process.pid, preset: 'paper', config: {}, recipe: 'paper', seed: 1, backend: 'cpu', device: 'CPU', codeVersion: 'v', status: 'running', epochsPlanned: 90 });
       log.updateRun('run-there', { pid: process.pid });
       log.close();`,
    );
    const other = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', cwd: process.cwd() });
    expect(other.stderr).toBe('');
    expect(other.status).toBe(0);
    expect(reader.getRun('run-there')).toMatchObject({ name: `from pid ${other.pid}`, preset: 'paper', epochsPlanned: 90, status: 'running', pid: other.pid });
    // That process has ended, so at the next start its run shows as interrupted.
    expect(writer.markInterruptedRuns().map((r) => r.id)).toEqual(['run-there']);
    expect(reader.getRun('run-there')!.status).toBe('interrupted');
    writer.close();
    reader.close();
  });
});
