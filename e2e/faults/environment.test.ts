// Faults of the machine around a working workbench, injected for real: the source folder vanishing or changing
// mid-import and mid-training, a full disk (a small tmpfs as the workspace), bytes of the cache and of a checkpoint
// corrupted on disk, the GPU device lost (WebGPU on lavapipe, destroyed mid-run), a batch too large for the GPU, and
// a learning rate that makes the loss NaN. Each gives a clear message, keeps what was saved, and offers the way on.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendInfo } from '../../core/backend/backend';
import { openDataset, type Dataset } from '../../core/dataset/dataset';
import { decodeForModel } from '../../core/dataset/decode';
import { importDataset } from '../../core/dataset/import';
import { CACHE_RECORD_BYTES } from '../../core/dataset/types';
import { isProcessAlive, RunLog } from '../../core/runlog/run-log';
import type { TrainEvent } from '../../core/train/events';
import { readCheckpoint } from '../../core/train/checkpoint';
import { resumeTraining, startTraining } from '../../core/service/local-training';
import { newestReadableCheckpoint, type TrainingRequest } from '../../core/workbench/training';
import { openWorkspace, runDirectory, type Workspace } from '../../core/workspace';
import { DEMO, serviceWithCompute, smallDataset, tempHome } from '../fixtures';
import type { HostEvent } from '../../core/api/contract';
import { recordDataset } from '../../core/workbench/record-dataset';
import { alexnet } from './cli-process';
import { tally } from './report';

const SUITE = 'environment';
const DEMO_TEST = path.join(DEMO, 'test', 'watch');

/** A workspace with its run log and one imported dataset, recorded. */
async function workspaceWith(folder: string, home = tempHome()): Promise<{ workspace: Workspace; log: RunLog; dataset: Dataset }> {
  const workspace = openWorkspace(home);
  const log = RunLog.open(workspace.database);
  const dataset = await importDataset(folder, workspace.datasets);
  recordDataset(log, dataset);
  return { workspace, log, dataset };
}

const quick = (dataset: Dataset, epochs: number, extra: Partial<TrainingRequest> = {}): TrainingRequest => ({ dataset, preset: 'quick', recipe: 'small-data', overrides: { epochs, batchSize: 4 }, seed: 9, ...extra });

/** Flips one byte in every `stride`-th byte range of a file region. */
function corrupt(file: string, offset: number): void {
  const fd = fs.openSync(file, 'r+');
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, offset);
  byte[0] = byte[0]! ^ 0xff;
  fs.writeSync(fd, byte, 0, 1, offset);
  fs.closeSync(fd);
}

let cpuEngine: BackendInfo;
let reference: number[];
let folder: string;

beforeAll(async () => {
  cpuEngine = await selectBackend('wasm');
  folder = smallDataset(3, 4, 1); // 12 training photos, batch 4: 3 steps an epoch
  const { workspace, log, dataset } = await workspaceWith(folder);
  const session = startTraining(workspace, log, cpuEngine, quick(dataset, 3));
  expect((await session.done).outcome).toBe('completed');
  reference = log.stepMetrics(session.runId).map((s) => s.loss);
  log.close();
});

describe('the source folder vanishes or changes', () => {
  it('mid-import: what was read is imported, what vanished is listed as unreadable, and an earlier import stays whole', async () => {
    const source = smallDataset(6, 10, 2); // 72 photos
    const home = tempHome();
    const first = await importDataset(source, path.join(home, 'datasets'));
    const before = first.manifest.images.length;
    first.close();
    // Change one file, add new ones, then remove the whole folder while they are being decoded.
    const classes = fs.readdirSync(path.join(source, 'train')).sort();
    const added = smallDataset(6, 20, 0);
    for (const c of classes) for (const f of fs.readdirSync(path.join(added, 'train', c)).slice(10)) fs.copyFileSync(path.join(added, 'train', c, f), path.join(source, 'train', c, `new-${f}`));
    let vanished = false;
    const dataset = await importDataset(source, path.join(home, 'datasets'), {
      onProgress: (p) => {
        if (p.phase === 'decoding' && p.done >= 5 && !vanished) {
          vanished = true;
          fs.rmSync(source, { recursive: true, force: true });
        }
      },
    });
    const report = dataset.manifest.report;
    expect(vanished).toBe(true);
    // Every new file is either imported or listed as unreadable, with the reason; the unchanged ones are kept.
    const gone = report.skipped.filter((s) => s.reason === 'unreadable');
    expect(gone.length).toBeGreaterThan(0);
    expect(gone[0]!.detail).toMatch(/cannot be read: ENOENT/);
    expect(report.imported + gone.length).toBe(before + 60);
    for (const e of dataset.manifest.images) dataset.readRecord(e.record);
    dataset.close();
    tally(SUITE, { cases: 1, faults: 1 });
  });

  it('mid-import, a file replaced after the scan: its new content is what is imported, with its own checksum', async () => {
    const source = smallDataset(2, 4, 1);
    const target = path.join(source, 'train', fs.readdirSync(path.join(source, 'train')).sort()[0]!);
    const file = path.join(target, fs.readdirSync(target).sort()[3]!);
    const other = path.join(DEMO_TEST, fs.readdirSync(DEMO_TEST).sort()[0]!);
    const dataset = await importDataset(source, path.join(tempHome(), 'datasets'), {
      onProgress: (p) => {
        if (p.phase === 'scanning' && p.done > 0 && p.done === p.total) fs.copyFileSync(other, file);
      },
    });
    const entry = dataset.manifest.images.find((e) => file.endsWith(e.path))!;
    expect(entry.sha256).toBe(createHash('sha256').update(fs.readFileSync(other)).digest('hex'));
    const decoded = await decodeForModel(other);
    expect(Buffer.from(dataset.readRecord(entry.record)).equals(Buffer.from(decoded.pixels))).toBe(true);
    dataset.close();
    tally(SUITE, { cases: 1, faults: 1 });
  });

  it('mid-training: training reads the imported cache, so it completes, on the same losses', async () => {
    const source = smallDataset(3, 4, 1);
    const { workspace, log, dataset } = await workspaceWith(source);
    const session = startTraining(workspace, log, cpuEngine, quick(dataset, 3), (e: TrainEvent) => {
      if (e.type === 'step' && e.globalStep === 2) fs.rmSync(source, { recursive: true, force: true });
    });
    expect((await session.done).outcome).toBe('completed');
    expect(fs.existsSync(source)).toBe(false);
    expect(log.stepMetrics(session.runId).map((s) => s.loss)).toEqual(reference);
    log.close();
    tally(SUITE, { cases: 1, faults: 1 });
  });
});

describe('corruption on disk', () => {
  it('a damaged cache record is found by its checksum, left out of training and evaluation, reported, and repaired by importing again', async () => {
    const source = smallDataset(3, 4, 1);
    const { workspace, log, dataset } = await workspaceWith(source);
    const victim = dataset.entries('train')[5]!;
    const testVictim = dataset.entries('test')[0]!;
    corrupt(path.join(dataset.dir, 'images.u8'), victim.record * CACHE_RECORD_BYTES + 1234);
    corrupt(path.join(dataset.dir, 'images.u8'), testVictim.record * CACHE_RECORD_BYTES + 77);
    const reopened = openDataset(dataset.dir);
    const events: TrainEvent[] = [];
    const session = startTraining(workspace, log, cpuEngine, quick(reopened, 2), (e) => events.push(e));
    expect((await session.done).outcome).toBe('completed');
    const notices = log.notices(session.runId).filter((n) => n.code === 'damaged-image');
    expect(notices).toHaveLength(1); // reported once, not every epoch
    expect(notices[0]!.message).toContain(`Image '${victim.path}' is damaged in the cache`);
    // Its batch had 3 images instead of 4; the test split's figures leave the damaged test image out.
    const epochs = events.filter((e): e is Extract<TrainEvent, { type: 'epoch' }> => e.type === 'epoch');
    expect(epochs).toHaveLength(2);
    // Importing again decodes the damaged images anew: nothing is damaged afterwards.
    const repaired = await importDataset(source, workspace.datasets);
    expect(repaired.manifest.report.decoded).toBe(2);
    for (const e of repaired.manifest.images) repaired.readRecord(e.record);
    repaired.close();
    log.close();
    tally(SUITE, { cases: 1, faults: 2 });
  });

  it('a corrupted checkpoint is detected by its checksum, not used, reported, and the run resumes from the one before', async () => {
    const { workspace, log, dataset } = await workspaceWith(folder);
    const first = startTraining(workspace, log, cpuEngine, { ...quick(dataset, 3), maxSteps: 7 });
    expect((await first.done).outcome).toBe('stopped');
    const newest = newestReadableCheckpoint(log, first.runId)!;
    corrupt(newest, fs.statSync(newest).size - 100);
    expect(() => readCheckpoint(newest)).toThrow(/corrupted: its checksum does not match/);
    const resumed = resumeTraining(workspace, log, cpuEngine, first.runId);
    expect((await resumed.done).outcome).toBe('completed');
    const notice = log.notices(first.runId).find((n) => n.code === 'damaged-checkpoint')!;
    expect(notice.message).toMatch(/is corrupted: its checksum does not match\. It is not used \(kept as '.*\.damaged'\); the run goes on from the previous checkpoint/);
    expect(fs.existsSync(`${newest}.damaged`)).toBe(true);
    expect(log.stepMetrics(first.runId).map((s) => s.loss)).toEqual(reference);
    log.close();
    tally(SUITE, { cases: 1, faults: 1, resumed: 1 });
  });
});

describe('a diverging run', () => {
  it('stops at once when the loss becomes NaN, with the last good checkpoint intact', async () => {
    const { workspace, log, dataset } = await workspaceWith(folder);
    const session = startTraining(workspace, log, cpuEngine, { ...quick(dataset, 20), recipe: 'paper', overrides: { epochs: 20, batchSize: 4, learningRate: 10 } });
    const result = await session.done;
    expect(result.outcome).toBe('diverged');
    expect(result.message).toMatch(/The loss became (NaN|Infinity)/);
    expect(result.message).toMatch(/Lower the learning rate/);
    const checkpoint = newestReadableCheckpoint(log, session.runId);
    if (checkpoint) for (const values of readCheckpoint(checkpoint).weights.values()) expect(values.every(Number.isFinite)).toBe(true);
    expect(log.getRun(session.runId)!.status).toBe('diverged');
    log.close();
    tally(SUITE, { cases: 1, faults: 1 });
  });
});

describe('the GPU', () => {
  let webgpu: BackendInfo | undefined;
  beforeAll(async () => {
    webgpu = await selectBackend('webgpu').catch(() => undefined);
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await selectBackend('wasm');
  });

  it('lost mid-run (its WebGPU device destroyed): a clear message, the checkpoints kept, and the run resumes on the CPU engine', async (context) => {
    if (!webgpu) return context.skip('no WebGPU adapter here');
    await selectBackend('webgpu');
    const { workspace, log, dataset } = await workspaceWith(folder);
    const session = startTraining(workspace, log, webgpu, quick(dataset, 3), (e: TrainEvent) => {
      if (e.type === 'step' && e.globalStep === 5) (tf.backend() as unknown as { device: GPUDevice }).device.destroy();
    });
    await expect(session.done).rejects.toThrow(/the GPU device was lost \(destroyed/);
    const run = log.getRun(session.runId)!;
    expect(run.status).toBe('failed');
    expect(run.statusDetail).toMatch(/the GPU device was lost .* at epoch 2, step \d\. Everything up to the last checkpoint is kept; to go on, resume the run .*on the CPU engine \(--backend wasm\)/);
    expect(readCheckpoint(newestReadableCheckpoint(log, session.runId)!).position.epoch).toBe(1);
    await selectBackend('wasm');
    const resumed = resumeTraining(workspace, log, cpuEngine, session.runId);
    expect((await resumed.done).outcome).toBe('completed');
    expect(log.getRun(session.runId)!.status).toBe('completed');
    log.close();
    tally(SUITE, { cases: 1, faults: 1, resumed: 1 });
  });

  it('a batch too large for the GPU is refused before any work, naming the batch that fits', async (context) => {
    if (!webgpu) return context.skip('no WebGPU adapter here');
    await selectBackend('webgpu');
    const { workspace, log, dataset } = await workspaceWith(folder);
    const session = startTraining(workspace, log, webgpu!, { ...quick(dataset, 1), overrides: { epochs: 1, batchSize: 4096 } });
    await expect(session.done).rejects.toThrow(
      /The input batch needs 620 MiB, more than the 128 MiB that one buffer may hold .* Use a batch of at most 845 images \(--batch-size 845\), or the CPU engine \(--backend wasm\)\./,
    );
    // Refused before any step: nothing was trained, and the run says why.
    expect(log.getRun(session.runId)).toMatchObject({ status: 'failed', stepsDone: 0 });
    log.close();
    await selectBackend('wasm');
    tally(SUITE, { cases: 1, faults: 1 });
  });
});

describe('a full disk (a small tmpfs as the workspace)', () => {
  let mount: string | undefined;
  let why = '';
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { stdio: 'pipe' });
      mount = dir;
    } catch (error) {
      why = `cannot mount a small tmpfs here (${(error as Error).message.split('\n')[0]}); run as root to include this case`;
    }
  });
  afterAll(() => {
    if (mount) execFileSync('umount', [mount]);
  });

  /**
   * The losses of the run both cases train (seed 9, 30 epochs of 3 steps), uninterrupted, on the CPU engine as theirs
   * are: long enough that the disk fills mid-run.
   */
  let reference30: Promise<number[]> | undefined;
  const uninterrupted = () =>
    (reference30 ??= (async () => {
      const { workspace, log, dataset } = await workspaceWith(folder);
      const session = startTraining(workspace, log, cpuEngine, quick(dataset, 30));
      expect((await session.done).outcome).toBe('completed');
      const losses = log.stepMetrics(session.runId).map((step) => step.loss);
      log.close();
      return losses;
    })());

  /** Resolves once `dir` holds a checkpoint (written whole: a checkpoint appears by a rename). */
  const checkpointIn = async (dir: string) => {
    const has = () => fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.ckpt'));
    for (let waited = 0; !has(); waited += 20) {
      if (waited > 120_000) throw new Error(`no checkpoint appeared in ${dir}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  /** Fills the file system to the last byte; returns the filler's path (delete it to free the space). */
  const fill = (dir: string) => {
    const filler = path.join(dir, 'filler');
    const fd = fs.openSync(filler, 'a');
    const chunk = Buffer.alloc(1 << 16);
    try {
      for (;;) fs.writeSync(fd, chunk);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    for (let size = 4096; size >= 1; size >>= 1) {
      try {
        for (;;) fs.writeSync(fd, chunk.subarray(0, size));
      } catch {
        // this size no longer fits; try a smaller one
      }
    }
    fs.closeSync(fd);
    return filler;
  };

  it('stops a training run with a clear message, keeps its checkpoints and run log whole, and it resumes once space is freed', async (context) => {
    if (!mount) return context.skip(why);
    const home = path.join(mount, 'home');
    const imported = await alexnet(home, ['--json', 'import', folder]);
    expect(imported.code, imported.stderr).toBe(0);
    const datasetId = (JSON.parse(imported.stdout) as { id: string }).id;
    const expected = await uninterrupted();
    // Train; once the first checkpoint is written, fill the disk.
    const training = alexnet(home, ['train', datasetId, '--preset', 'quick', '--epochs', '30', '--batch-size', '4', '--seed', '9']);
    const checkpoints = () => {
      const runs = path.join(home, 'runs');
      return fs.existsSync(runs) ? fs.readdirSync(runs).flatMap((r) => (fs.existsSync(path.join(runs, r, 'checkpoints')) ? fs.readdirSync(path.join(runs, r, 'checkpoints')) : [])).filter((f) => f.endsWith('.ckpt')) : [];
    };
    while (checkpoints().length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const filler = fill(mount);
    const ended = await training;
    fs.rmSync(filler); // first, so that a failure below does not leave the next cases a full disk
    expect(ended.code).toBe(6); // the machine refused: not a bug (1)
    // Named: the file that could not be written (a checkpoint) or the run log.
    expect(ended.stderr).toMatch(/error: Training failed: the disk is full \((the run log could not be written|'.*')\): free some space, then try again/);
    expect(ended.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const db = new Database(path.join(home, 'runlog.sqlite'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const log = RunLog.open(path.join(home, 'runlog.sqlite'));
    log.markInterruptedRuns(isProcessAlive);
    const run = log.listRuns()[0]!;
    expect(['failed', 'interrupted']).toContain(run.status);
    const checkpoint = newestReadableCheckpoint(log, run.id)!;
    expect(readCheckpoint(checkpoint).position.epoch).toBeGreaterThanOrEqual(1);
    log.close();
    const resumed = await alexnet(home, ['resume', run.id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = RunLog.open(path.join(home, 'runlog.sqlite'), { readonly: true });
    expect(after.getRun(run.id)!.status).toBe('completed');
    expect(after.stepMetrics(run.id).map((s) => s.loss)).toEqual(expected);
    after.close();
    tally(SUITE, { cases: 1, faults: 1, resumed: 1 });
  });

  it('in the app, stops the run with a clear message when neither the run log nor a checkpoint can be written; the host goes on and the run resumes', async (context) => {
    if (!mount) return context.skip(why);
    const workspace = openWorkspace(path.join(mount, 'app-home'));
    const events: HostEvent[] = [];
    const service = serviceWithCompute(workspace, [path.dirname(folder)]);
    service.subscribe((e) => events.push(e));
    const waitFor = async (match: (e: HostEvent) => boolean) => {
      for (let waited = 0; !events.some(match); waited += 20) {
        if (waited > 120_000) throw new Error(`no such event; the last were ${JSON.stringify(events.slice(-3)).slice(0, 400)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return events.find(match)!;
    };
    try {
      const { jobId } = await service.handlers['datasets:import']({ folder });
      const imported = (await waitFor((e) => e.type === 'import:finished' && e.jobId === jobId)) as Extract<HostEvent, { type: 'import:finished' }>;
      const ablations = { oneTower: false, noLrn: false, nonOverlappingPooling: false, noDropout: false, noPcaNoise: false };
      const { runId } = await service.handlers['train:start']({ datasetId: imported.datasetId!, preset: 'quick', recipe: 'small-data', epochs: 30, batchSize: 4, seed: 9, ablations });
      await checkpointIn(path.join(runDirectory(workspace, runId), 'checkpoints'));
      const filler = fill(mount);
      const finished = (await waitFor((e) => e.type === 'run:finished' && e.runId === runId)) as Extract<HostEvent, { type: 'run:finished' }>;
      expect(finished.outcome).toBe('failed');
      expect(finished.message).toMatch(/the disk is full/);
      // The host is still answering, and says why.
      expect(events.some((e) => e.type === 'notice' && e.runId === runId && e.level === 'error' && /disk is full/.test(e.message))).toBe(true);
      expect((await service.handlers['runs:list'](undefined)).map((r) => r.id)).toContain(runId);
      fs.rmSync(filler);
      // 'failed' when the run log could still take the failure, 'interrupted' when it could not.
      const shown = (await service.handlers['runs:list'](undefined)).find((r) => r.id === runId)!;
      expect(['failed', 'interrupted']).toContain(shown.status);
      expect(shown.resumable).toBe(true);
      const mark = events.length;
      await service.handlers['train:resume']({ runId });
      const done = (await waitFor((e) => e.type === 'run:finished' && e.runId === runId && events.indexOf(e) >= mark)) as Extract<HostEvent, { type: 'run:finished' }>;
      expect(done.outcome, done.message).toBe('completed');
      const log = RunLog.open(workspace.database, { readonly: true });
      expect(log.stepMetrics(runId).map((s) => s.loss)).toEqual(await uninterrupted());
      log.close();
    } finally {
      await service.close();
    }
    tally(SUITE, { cases: 1, faults: 1, resumed: 1 });
  });

  it('stops an import with a clear message and keeps the datasets imported before', async (context) => {
    if (!mount) return context.skip(why);
    const home = path.join(mount, 'home');
    const filler = fill(mount);
    const big = smallDataset(6, 10, 2);
    const ended = await alexnet(home, ['import', big]);
    fs.rmSync(filler);
    expect(ended.code).toBe(6);
    expect(ended.stderr).toMatch(/The import of '.*' stopped: the disk is full.*Nothing was kept of it/);
    const list = await alexnet(home, ['--json', 'datasets']);
    const datasets = JSON.parse(list.stdout) as { dir: string }[];
    expect(datasets).toHaveLength(1);
    const kept = openDataset(datasets[0]!.dir);
    for (const e of kept.manifest.images) kept.readRecord(e.record);
    kept.close();
    tally(SUITE, { cases: 1, faults: 1 });
  });
});
