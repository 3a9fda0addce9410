// Checks the run log on real SQLite files: migrations, refusal of newer schemas, round trips, cascades, interruptions.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import { LATEST_VERSION } from './migrations/index';
import { isProcessAlive, newRunId, RunLog } from './run-log';

const file = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runlog-')), 'runlog.sqlite');

function seeded(log: RunLog, id = newRunId()) {
  log.upsertDataset({ id: 'd1', name: 'demo', source: '/data/demo', dir: '/home/d1', labels: ['a', 'b'], counts: [{ label: 'a', train: 1, test: 1 }], report: { imported: 2 } });
  return log.createRun({ id, datasetId: 'd1', name: 'r', preset: 'quick', config: { model: { classes: 2 } }, recipe: 'small-data', seed: 3, backend: 'cpu', device: 'CPU', codeVersion: '0.1.0', status: 'created', epochsPlanned: 2 });
}

describe('migrations', () => {
  it('creates every table at the latest version, in WAL mode, idempotently, with strict tables', () => {
    const f = file();
    openDatabase(f).close();
    const db = openDatabase(f);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(['checkpoints', 'datasets', 'epoch_metrics', 'evaluations', 'kernel_snapshots', 'notices', 'runs', 'step_metrics']);
    const strict = db.prepare(`SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'`).all() as { name: string; strict: number }[];
    expect(strict.every((t) => t.strict === 1)).toBe(true);
    db.prepare(`INSERT INTO datasets VALUES ('d', 'n', 's', 'd', 't', 't', '[]', '[]', '{}')`).run();
    expect(() =>
      db.prepare(`INSERT INTO runs (id, dataset_id, name, preset, config_json, recipe, seed, backend, device, code_version, status, created_at, updated_at, epochs_planned) VALUES ('r', 'd', 'n', 'quick', '{}', 'x', 'not a number', 'b', 'd', 'v', 'created', 't', 't', 1)`).run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
    db.close();
  });

  it('refuses a database from a newer version, naming the file and both versions, and leaves it alone', () => {
    const f = file();
    openDatabase(f).close();
    const raw = new BetterSqlite3(f);
    raw.pragma(`user_version = ${LATEST_VERSION + 5}`);
    raw.close();
    expect(() => openDatabase(f)).toThrow(`Run log '${f}' was written by a newer version of AlexNet Workbench (schema ${LATEST_VERSION + 5}; this version reads up to ${LATEST_VERSION})`);
    const again = new BetterSqlite3(f);
    expect(again.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 5);
    again.close();
  });

  it('says so when the file is not a database', () => {
    const f = file();
    fs.writeFileSync(f, 'just some text, not SQLite at all'.repeat(100));
    expect(() => openDatabase(f)).toThrow(/is not a SQLite database/);
  });
});

describe('RunLog', () => {
  it('reads back what was written, field by field', () => {
    const log = RunLog.open(file());
    const run = seeded(log);
    expect(log.getDataset('d1')!.labels).toEqual(['a', 'b']);
    expect(run.status).toBe('created');
    expect(run.config).toEqual({ model: { classes: 2 } });
    log.updateRun(run.id, { status: 'running', pid: 1234, epochsDone: 1, bestTop1Error: 0.25 });
    const updated = log.getRun(run.id)!;
    expect([updated.status, updated.pid, updated.epochsDone, updated.bestTop1Error]).toEqual(['running', 1234, 1, 0.25]);
    log.addStepMetrics(run.id, [
      { step: 1, epoch: 0, loss: 2.5, learningRate: 0.01, imagesPerSecond: 10, time: 't1' },
      { step: 2, epoch: 0, loss: 2.25, learningRate: 0.01, imagesPerSecond: 11, time: 't2' },
    ]);
    expect(log.stepMetrics(run.id).map((s) => s.loss)).toEqual([2.5, 2.25]);
    log.addEpochMetrics(run.id, { epoch: 1, trainLoss: 2.3, trainTop1Error: 0.5, trainTop5Error: 0, validationLoss: 2.1, validationTop1Error: 0.4, validationTop5Error: 0, learningRate: 0.01, seconds: 3, deadReluFraction: 0.1 });
    expect(log.epochMetrics(run.id)[0]).toEqual({ epoch: 1, trainLoss: 2.3, trainTop1Error: 0.5, trainTop5Error: 0, validationLoss: 2.1, validationTop1Error: 0.4, validationTop5Error: 0, learningRate: 0.01, seconds: 3, deadReluFraction: 0.1 });
    const checkpoint = log.addCheckpoint({ runId: run.id, epoch: 1, step: 2, path: '/ck/1', bytes: 99, sha256: 'abc' });
    expect(log.latestCheckpoint(run.id)!.id).toBe(checkpoint.id);
    log.addKernelSnapshot({ runId: run.id, epoch: 1, step: 2, shape: [11, 11, 3, 2], data: Buffer.from([1, 2, 3]) });
    expect(log.kernelSnapshots(run.id)[0]!.data).toEqual(Buffer.from([1, 2, 3]));
    log.addEvaluation({ runId: run.id, checkpointId: checkpoint.id, split: 'test', crops: 'ten', top1Error: 0.3, top5Error: 0, loss: 1.2, perClassAccuracy: [0.5, null], confusion: [[1, 1], [0, 0]] });
    expect(log.evaluations(run.id)[0]!.perClassAccuracy).toEqual([0.5, null]);
    log.addNotice({ runId: run.id, level: 'warning', code: 'stuck-at-chance', message: 'm' });
    expect(log.notices(run.id).map((n) => n.code)).toEqual(['stuck-at-chance']);
    // Deleting a run removes everything that belongs to it.
    log.deleteRun(run.id);
    for (const table of ['step_metrics', 'epoch_metrics', 'checkpoints', 'kernel_snapshots', 'evaluations', 'notices']) {
      expect(log.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    }
    log.close();
  });

  it('marks runs whose process died as interrupted, and leaves live ones alone', () => {
    const log = RunLog.open(file());
    const dead = seeded(log, 'run-dead');
    const alive = seeded(log, 'run-alive');
    const child = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
    expect(isProcessAlive(child.pid!)).toBe(false);
    log.updateRun(dead.id, { status: 'running', pid: child.pid! });
    log.updateRun(alive.id, { status: 'running', pid: process.pid });
    expect(log.markInterruptedRuns().map((r) => r.id)).toEqual(['run-dead']);
    expect(log.getRun('run-dead')!.status).toBe('interrupted');
    expect(log.getRun('run-alive')!.status).toBe('running');
    log.close();
  });

  it('lets a second connection read what the first wrote (WAL)', () => {
    const f = file();
    const writer = RunLog.open(f);
    const reader = RunLog.open(f);
    const run = seeded(writer);
    expect(reader.getRun(run.id)!.name).toBe('r');
    writer.close();
    reader.close();
  });
});
