// Resuming after the run log lost part of a run (a full disk between a checkpoint's write and its record): a
// checkpoint file the log does not know is adopted only when the log holds the run's metrics up to it; otherwise the
// run goes back to an earlier point, here its settings, so that its curves have no hole. Planted deterministically:
// a real run's rows are taken out of the log as a full disk would have kept them from being written.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendInfo } from '../backend/backend';
import type { Dataset } from '../dataset/dataset';
import { importDataset } from '../dataset/import';
import { RunLog } from '../runlog/run-log';
import { startTraining } from '../service/local-training';
import { openWorkspace, runDirectory, type Workspace } from '../workspace';
import { smallDataset, tempHome } from '../../e2e/fixtures';
import { recordDataset } from './record-dataset';
import { adoptCheckpointFiles, resumeJob } from './training';

let backend: BackendInfo;
let workspace: Workspace;
let log: RunLog;
let dataset: Dataset;

beforeAll(async () => {
  backend = await selectBackend('wasm');
  workspace = openWorkspace(tempHome());
  log = RunLog.open(workspace.database);
  dataset = await importDataset(smallDataset(3, 4, 1), workspace.datasets); // 12 training photos: 3 steps of 4
  recordDataset(log, dataset);
});

afterAll(() => log.close());

/** A run stopped after 4 steps (checkpoints after step 3, the end of epoch 1, and at step 4), then `forget` run on its log rows. */
async function plantedRun(forget: (db: Database.Database, runId: string) => void): Promise<string> {
  const session = startTraining(workspace, log, backend, { dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs: 2, batchSize: 4 }, seed: 3, maxSteps: 4 });
  expect((await session.done).outcome).toBe('stopped');
  expect(log.checkpoints(session.runId).map((c) => c.step)).toEqual([3, 4]);
  const db = new Database(workspace.database);
  db.prepare('DELETE FROM checkpoints WHERE run_id = ?').run(session.runId);
  db.prepare('UPDATE runs SET last_checkpoint_id = NULL WHERE id = ?').run(session.runId);
  forget(db, session.runId);
  db.close();
  return session.runId;
}

const codes = (runId: string) => log.notices(runId).map((n) => n.code).filter((c) => c.startsWith('checkpoint-'));

describe('adoptCheckpointFiles', () => {
  it('adopts every checkpoint file the log holds the metrics for, and the run resumes from the newest', async () => {
    const runId = await plantedRun(() => {});
    adoptCheckpointFiles(log, runId, runDirectory(workspace, runId));
    expect(log.checkpoints(runId).map((c) => c.step)).toEqual([3, 4]);
    expect(codes(runId)).toEqual(['checkpoint-adopted', 'checkpoint-adopted']);
    const job = resumeJob(workspace, log, backend, runId);
    expect(job).toMatchObject({ kind: 'resume', checkpoint: path.join(runDirectory(workspace, runId), 'checkpoints', fs.readdirSync(path.join(runDirectory(workspace, runId), 'checkpoints')).sort().at(-1)!) });
  });

  it("leaves a checkpoint past the log's last step alone, and adopts the one before it", async () => {
    const runId = await plantedRun((db, id) => db.prepare('DELETE FROM step_metrics WHERE run_id = ? AND step = 4').run(id));
    adoptCheckpointFiles(log, runId, runDirectory(workspace, runId));
    expect(log.checkpoints(runId).map((c) => c.step)).toEqual([3]);
    expect(codes(runId).sort()).toEqual(['checkpoint-adopted', 'checkpoint-not-adopted']);
  });

  it('leaves every checkpoint alone when an epoch before them is missing, so the run starts again from its settings', async () => {
    const runId = await plantedRun((db, id) => db.prepare('DELETE FROM epoch_metrics WHERE run_id = ?').run(id));
    const job = resumeJob(workspace, log, backend, runId);
    expect(log.checkpoints(runId)).toEqual([]);
    expect(codes(runId)).toEqual(['checkpoint-not-adopted', 'checkpoint-not-adopted']);
    expect(job).toMatchObject({ kind: 'start', seed: 3, recipe: { epochs: 2 } });
  });

  it('never adopts a file that is not a whole checkpoint of this run', async () => {
    const runId = await plantedRun(() => {});
    const dir = path.join(runDirectory(workspace, runId), 'checkpoints');
    const [first, second] = fs.readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort();
    fs.truncateSync(path.join(dir, second!), 1000);
    const other = await plantedRun(() => {});
    fs.copyFileSync(path.join(runDirectory(workspace, other), 'checkpoints', first!), path.join(dir, `other-${first}`));
    adoptCheckpointFiles(log, runId, runDirectory(workspace, runId));
    expect(log.checkpoints(runId).map((c) => path.basename(c.path))).toEqual([first]);
  });
});
