// SIGKILL at random moments and at chosen points (while a checkpoint is written, inside a run-log transaction, while
// an import writes its cache or manifest), in a seeded loop. After every kill: the run log passes its integrity
// check, the run shows as interrupted, its last checkpoint loads, and resuming continues the same trajectory: at the
// end the killed-and-resumed run has exactly the losses of an uninterrupted run (CPU backend, same seed).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../core/backend/backend';
import { openDataset } from '../../core/dataset/dataset';
import { importDataset } from '../../core/dataset/import';
import { Rng } from '../../core/random/rng';
import { isProcessAlive, RunLog } from '../../core/runlog/run-log';
import { readCheckpoint } from '../../core/train/checkpoint';
import { startTraining } from '../../core/service/local-training';
import { newestUsableCheckpoint } from '../../core/workbench/training';
import { openWorkspace } from '../../core/workspace';
import { DEMO, smallDataset, tempHome } from '../fixtures';
import { alexnet, type Ended } from './cli-process';
import { FULL, tally } from './report';
import { recordDataset } from '../../core/workbench/record-dataset';

/** Kills of the training loop: `npm run test:faults` does at least 50, `npm test` a seeded subset. */
const TRAINING_KILLS = FULL ? 50 : 10;
const IMPORT_KILLS = FULL ? 20 : 5;
const EPOCHS = FULL ? 12 : 6;
const TRAIN = ['--preset', 'quick', '--epochs', String(EPOCHS), '--batch-size', '4', '--seed', '5'];

function integrity(databaseFile: string): string {
  const db = new Database(databaseFile, { readonly: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
  } finally {
    db.close();
  }
}

const killed = (ended: Ended) => ended.signal === 'SIGKILL';

describe('SIGKILL at random moments and at chosen points', () => {
  let home: string;
  let datasetId: string;
  let reference: number[];

  beforeAll(async () => {
    await selectBackend('wasm');
    home = tempHome();
    const workspace = openWorkspace(home);
    const log = RunLog.open(workspace.database);
    // 3 classes x 4 training photos, batch 4: 3 steps per epoch, so that a run makes progress between kills.
    const dataset = await importDataset(smallDataset(3, 4, 1), workspace.datasets);
    datasetId = dataset.manifest.id;
    recordDataset(log, dataset);
    // The uninterrupted reference, in this process.
    const session = startTraining(workspace, log, await selectBackend('wasm'), { dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: EPOCHS, batchSize: 4 }, seed: 5 });
    expect((await session.done).outcome).toBe('completed');
    reference = log.stepMetrics(session.runId).map((s) => s.loss);
    expect(reference).toHaveLength(EPOCHS * 3);
    log.deleteRun(session.runId);
    log.close();
    dataset.close();
  });

  it(`kills training ${TRAINING_KILLS} times, resumes after each, and ends on the uninterrupted losses`, async () => {
    const rng = new Rng(20261201, 'kill-training');
    const faultPoints = ['checkpoint:temp-written', 'checkpoint:renamed', 'runlog:inside-step-transaction'];
    const database = path.join(home, 'runlog.sqlite');
    let runId: string | undefined;
    let faults = 0;
    let resumed = 0;
    let lost = 0;
    let completed = 0;
    /** A finished run must have exactly the reference's losses, step by step, and every epoch. */
    const verify = (id: string) => {
      const log = RunLog.open(database, { readonly: true });
      try {
        expect(log.getRun(id)).toMatchObject({ status: 'completed', epochsDone: EPOCHS, stepsDone: EPOCHS * 3 });
        const losses = log.stepMetrics(id).map((s) => s.loss);
        expect(losses).toHaveLength(reference.length);
        losses.forEach((loss, i) => {
          if (Math.abs(loss - reference[i]!) > 1e-6) lost++;
        });
        expect(log.epochMetrics(id).map((e) => e.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
      } finally {
        log.close();
      }
      completed++;
    };
    for (let attempt = 0; faults < TRAINING_KILLS; attempt++) {
      expect(attempt).toBeLessThan(TRAINING_KILLS * 4); // the loop must make progress
      const args = runId ? ['resume', runId] : ['train', datasetId, ...TRAIN];
      // Every third kill at a chosen point (its n-th passage), the others after a random time (start-up included).
      const atPoint = faults % 3 === 2;
      const fault = atPoint ? `${faultPoints[Math.floor(rng.uniform() * faultPoints.length)]}:${1 + Math.floor(rng.uniform() * 3)}` : undefined;
      const ended = await alexnet(home, args, atPoint ? { fault } : { killAfterMs: 500 + Math.floor(rng.uniform() * 3500) });
      if (runId) resumed++;
      const log = RunLog.open(database);
      let finished: string | undefined;
      try {
        runId ??= log.listRuns().sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]?.id;
        if (!killed(ended)) {
          // The run got to its end before a kill came: check it, and start another.
          expect(ended.code, ended.stderr).toBe(0);
          finished = runId;
        } else {
          faults++;
          expect(integrity(database)).toBe('ok');
          if (runId && log.getRun(runId)) {
            // What the next start of the CLI does: the dead process's run is marked interrupted.
            log.markInterruptedRuns(isProcessAlive);
            const run = log.getRun(runId)!;
            // Killed after it had recorded its end (only the process's exit was left): it is complete.
            if (run.status === 'completed') finished = runId;
            else expect(['interrupted', 'created']).toContain(run.status);
            const checkpoint = finished ? undefined : newestUsableCheckpoint(log, runId);
            if (checkpoint) {
              const contents = readCheckpoint(checkpoint);
              expect(contents.runId).toBe(runId);
              // Nothing saved is lost: the steps recorded up to the checkpoint keep the reference's losses.
              for (const s of log.stepMetrics(runId)) if (s.step <= contents.position.globalStep && Math.abs(s.loss - reference[s.step - 1]!) > 1e-6) lost++;
            }
            if (run.status === 'created') runId = undefined; // killed before its first step: start another
          }
        }
      } finally {
        log.close();
      }
      if (finished) {
        verify(finished);
        runId = undefined;
      }
    }
    // Finish the run the last kill interrupted.
    if (runId) {
      const ended = await alexnet(home, ['resume', runId]);
      expect(ended.code, ended.stderr).toBe(0);
      resumed++;
      verify(runId);
    }
    expect(completed).toBeGreaterThan(0);
    expect(lost).toBe(0);
    tally('kill-training', { cases: completed, faults, resumed, lost });
  });

  it(`kills imports ${IMPORT_KILLS} times; the next import completes and an earlier import is never damaged`, async () => {
    const rng = new Rng(20261201, 'kill-import');
    const importHome = tempHome();
    // An earlier, complete import of the folder, which a killed re-import must leave usable.
    const folder = smallDataset(6, 10, 2); // 72 photos
    const first = await alexnet(importHome, ['--json', 'import', folder]);
    expect(first.code, first.stderr).toBe(0);
    const datasetDir = (JSON.parse(first.stdout) as { dir: string }).dir;
    let faults = 0;
    let lost = 0;
    let added = 0;
    for (let i = 0; faults < IMPORT_KILLS; i++) {
      expect(i).toBeLessThan(IMPORT_KILLS * 4);
      // New photos each time, so that every re-import decodes and writes.
      const className = fs.readdirSync(path.join(folder, 'train'))[i % 6]!;
      for (const name of fs.readdirSync(path.join(DEMO, 'train', className)).slice(10 + (i % 5) * 6, 16 + (i % 5) * 6)) {
        fs.copyFileSync(path.join(DEMO, 'train', className, name), path.join(folder, 'train', className, `more-${i}-${name}`));
        added++;
      }
      const points = ['import:record-written:2', 'import:manifest-temp-written:1'];
      const ended = i % 2 === 0 ? await alexnet(importHome, ['import', folder], { killAfterMs: 600 + Math.floor(rng.uniform() * 1200) }) : await alexnet(importHome, ['import', folder], { fault: points[i % 4 === 1 ? 0 : 1] });
      if (killed(ended)) faults++;
      else expect(ended.code, ended.stderr).toBe(0);
      expect(integrity(path.join(importHome, 'runlog.sqlite'))).toBe('ok');
      // Whatever the kill left, the dataset folder holds a whole dataset: its manifest, cache and checksums agree.
      const dataset = openDataset(datasetDir);
      try {
        for (const entry of dataset.manifest.images) {
          try {
            dataset.readRecord(entry.record);
          } catch {
            lost++;
          }
        }
      } finally {
        dataset.close();
      }
    }
    const last = await alexnet(importHome, ['--json', 'import', folder]);
    expect(last.code, last.stderr).toBe(0);
    const report = (JSON.parse(last.stdout) as { report: { imported: number; skipped: unknown[] } }).report;
    expect(report.imported).toBe(72 + added);
    expect(report.skipped).toEqual([]);
    expect(lost).toBe(0);
    tally('kill-import', { cases: IMPORT_KILLS, faults, lost });
  });
});
