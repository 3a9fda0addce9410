// A cluster job end to end on the CPU: `alexnet cluster-job` writes it, torchrun trains it with PyTorch DDP on two
// processes (gloo), one of which is killed mid-epoch (SIGKILL, as a lost machine) and restarted by torchrun's elastic
// agent, and `alexnet import-job` brings it back as a run. The workbench's evaluation of the imported weights is
// checked against PyTorch's own evaluation of the same weights on the same images, and every refusal of a bad job
// folder against its words.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunLog } from '../core/runlog/run-log';
import type { Service } from '../core/service/service';
import { openWorkspace, runDirectory } from '../core/workspace';
import { serviceWithCompute, smallDataset, tempHome } from './fixtures';

const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'alexnet.js');
/** Debian's torchrun (python3-torch), which .ci/install installs. */
const TORCHRUN = '/usr/bin/torchrun';
/**
 * PyTorch 1.13's torchrun on Python 3.11 fails to start with its default `--redirects 0` (it cannot map 0 to its
 * stream flags there); redirecting and teeing stderr alone works, and prints every rank's stderr prefixed.
 */
const TORCHRUN_STREAMS = ['--redirects', '2', '--tee', '2'];
/** Probabilities of the two engines, float32 each with the workbench on WebAssembly: measured within 2e-7. */
const PROBABILITY_TOLERANCE = 1e-5;

const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy, torch.distributed.run'], { encoding: 'utf8' });
const torchMissing = probe.status !== 0 || !fs.existsSync(TORCHRUN) ? `PyTorch with torchrun is not installed (apt-get install python3-torch)` : undefined;
// CI installs PyTorch (.ci/install): there its absence fails the test instead of skipping it.
const skip = torchMissing !== undefined && !process.env.CI;
if (skip) console.warn(`Cluster job test skipped: ${torchMissing}`);

let home: string;
let data: string;
let work: string;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--home', home, '--backend', 'wasm', ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T>(...args: string[]): T {
  const r = cli('--json', ...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** Trains a job folder with torchrun on two CPU processes; `env` adds variables (a fault point). */
function torchrun(folder: string, env: Record<string, string> = {}) {
  const r = spawnSync(TORCHRUN, ['--standalone', '--nproc_per_node=2', '--max_restarts=1', ...TORCHRUN_STREAMS, 'train_ddp.py'], {
    cwd: folder,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, OMP_NUM_THREADS: '1', ...env },
  });
  return { code: r.status, output: `${r.stdout}\n${r.stderr}` };
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const lines = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** A copy of a trained job folder without its data (import-job does not read it), changed by `change`. */
function variant(from: string, name: string, change: (folder: string) => void): string {
  const to = path.join(work, name);
  fs.cpSync(from, to, { recursive: true, filter: (source) => path.relative(from, source) !== 'data' });
  change(to);
  return to;
}

describe.skipIf(skip)('a cluster job on PyTorch DDP (torchrun, two processes, gloo)', () => {
  let job: string;
  /** The same settings written by the app's service (the Train view's "Write a cluster job"), trained without a kill. */
  let twin: string;
  let service: Service;
  let datasetId: string;
  let imported: { run: string; epochs: number; backend: string; pytorchTop1Error: number };
  let first: { code: number | null; output: string };

  beforeAll(async () => {
    expect(torchMissing).toBeUndefined();
    home = tempHome();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-e2e-cluster-'));
    // 4 classes of real photos: 96 training images, 6 steps of 16 per epoch (8 per process).
    data = smallDataset(4, 24, 10);
    datasetId = json<{ id: string }>('import', data).id;
    job = path.join(work, 'job');
    const written = json<{ job: string; folder: string; processes: number[] }>('cluster-job', datasetId, '--preset', 'quick', '--epochs', '2', '--out', job);
    expect(written.folder).toBe(job);
    expect(written.processes).toContain(2);
    // Rank 1 dies at its 8th step: the second step of epoch 2, after epoch 1's checkpoint.
    first = torchrun(job, { ALEXNET_FAULT: 'job-step-rank-1:8' });
    service = serviceWithCompute(openWorkspace(home), [data, work]);
    const fromApp = await service.handlers['cluster:write']({
      datasetId,
      preset: 'quick',
      recipe: 'small-data',
      epochs: 2,
      seed: 0,
      ablations: { oneTower: false, noLrn: false, nonOverlappingPooling: false, noDropout: false, noPcaNoise: false },
    });
    twin = fromApp.folder;
    expect(fromApp.folder).toBe(path.join(home, 'jobs', fromApp.jobId));
    expect(fromApp.command).toBe('torchrun --standalone --nproc_per_node=2 --max_restarts=3 train_ddp.py');
    const trained = torchrun(twin);
    expect(trained.code, trained.output).toBe(0);
  }, 600_000);

  afterAll(async () => {
    await service?.close();
  });

  it('writes a self-contained job: the data as the workbench caches it, the program and a README with the commands', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(job, 'data', 'manifest.json'), 'utf8')) as { labels: string[]; images: { split: string }[] };
    expect(manifest.labels).toHaveLength(4);
    expect(manifest.images.filter((i) => i.split === 'train')).toHaveLength(96);
    expect(manifest.images.filter((i) => i.split === 'test')).toHaveLength(40);
    expect(fs.statSync(path.join(job, 'data', 'images.u8')).size).toBe(136 * 256 * 256 * 3);
    // The network is the accuracy reference's file, byte for byte (the equivalence test steps it against the workbench).
    expect(sha256(path.join(job, 'reference_train.py'))).toBe(sha256(path.resolve(import.meta.dirname, '..', 'bench', 'reference_train.py')));
    const readme = fs.readFileSync(path.join(job, 'README.md'), 'utf8');
    for (const phrase of ['torchrun --standalone', '--nnodes=N', 'srun torchrun', 'alexnet import-job', 'must divide']) expect(readme).toContain(phrase);
    const settings = JSON.parse(fs.readFileSync(path.join(job, 'job.json'), 'utf8')) as { recipe: { batchSize: number; epochs: number }; model: { preset: string } };
    expect(settings).toMatchObject({ recipe: { batchSize: 16, epochs: 2 }, model: { preset: 'quick' } });
  });

  it('survives a process killed mid-epoch: torchrun restarts it and training continues from the last checkpoint', () => {
    expect(first.code, first.output).toBe(0);
    const events = lines(path.join(job, 'run', 'events.jsonl'));
    // Attempt 0 from the start, attempt 1 (the restart) from the checkpoint after epoch 1, not from epoch 0.
    expect(events.filter((e) => e.event === 'attempt').map((e) => [e.attempt, e.fromEpoch, e.processes])).toEqual([
      [0, 0, 2],
      [1, 1, 2],
    ]);
    expect(events.at(-1)).toMatchObject({ event: 'finished', attempt: 1, epochs: 2 });
    expect(lines(path.join(job, 'run', 'metrics.jsonl')).map((m) => m.epoch)).toEqual([1, 2]);
  });

  it('resumes exactly: the same weights, bit for bit, as the same job trained without a kill', () => {
    // The app wrote the same job as the CLI: the same model, recipe, ablations, seed and data.
    const settings = (folder: string) => {
      const { id, createdAt, ...rest } = JSON.parse(fs.readFileSync(path.join(folder, 'job.json'), 'utf8')) as Record<string, unknown>;
      expect([id, createdAt]).toHaveLength(2);
      return rest;
    };
    expect(settings(twin)).toEqual(settings(job));
    expect(sha256(path.join(twin, 'data', 'images.u8'))).toBe(sha256(path.join(job, 'data', 'images.u8')));
    expect(lines(path.join(twin, 'run', 'events.jsonl')).filter((e) => e.event === 'attempt')).toHaveLength(1);
    expect(sha256(path.join(job, 'run', 'model.f32'))).toBe(sha256(path.join(twin, 'run', 'model.f32')));
  });

  describe('refuses a bad job folder, saying what is wrong', () => {
    const refusals: [string, (folder: string) => void, RegExp][] = [
      ['another-version', (f) => edit(path.join(f, 'job.json'), (j) => ({ ...j, version: 2 })), /format version 2 .*reads version 1/],
      ['no-checkpoint', (f) => fs.rmSync(path.join(f, 'run', 'model.f32')), /Trained weights '.*model\.f32' is missing/],
      [
        'damaged-checkpoint',
        (f) => {
          const file = path.join(f, 'run', 'model.f32');
          const bytes = fs.readFileSync(file);
          bytes[1000] = bytes[1000]! ^ 0x40;
          fs.writeFileSync(file, bytes);
        },
        /model\.f32' is damaged: its SHA-256 does not match/,
      ],
      ['unfinished', (f) => fs.rmSync(path.join(f, 'run', 'model.json')), /has not finished: run\/model\.json is missing \(it was last at epoch 2 of 2/],
      [
        'unbuildable',
        (f) => edit(path.join(f, 'job.json'), (j) => ({ ...j, model: { ...(j.model as object), convWidths: [24, 64, 96, 96, 32] } })),
        /configuration this workbench cannot rebuild: its model .* is not the quick preset/,
      ],
      ['not-a-job', (f) => fs.rmSync(path.join(f, 'job.json')), /is not a cluster job: it has no job\.json/],
    ];
    // Through the app's service (as the Runs view asks), and the first also through the CLI, with its exit code.
    for (const [i, [name, change, message]] of refusals.entries()) {
      it(name, async () => {
        const folder = variant(job, name, change);
        await expect(service.handlers['cluster:import']({ folder })).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(message) });
        if (i > 0) return;
        const r = cli('import-job', folder);
        expect(r.code, r.stderr).toBe(3);
        expect(r.stderr).toMatch(message);
      });
    }

    it('a dataset changed since the job was written', async () => {
      const removed = path.join(data, 'train', fs.readdirSync(path.join(data, 'train')).sort()[0]!);
      const file = path.join(removed, fs.readdirSync(removed).sort()[0]!);
      const kept = fs.readFileSync(file);
      fs.rmSync(file);
      try {
        expect(json<{ id: string }>('import', data).id).toBe(datasetId);
        await expect(service.handlers['cluster:import']({ folder: job })).rejects.toThrow(/has changed since job '.*' was written/);
      } finally {
        fs.writeFileSync(file, kept);
        expect(json<{ id: string }>('import', data).id).toBe(datasetId);
      }
    });
  });

  describe('imported as a run', () => {
    beforeAll(() => {
      imported = json('import-job', job);
    });

    it('records the run: its backend, epochs, metrics, configuration and the restart', () => {
      expect(imported).toMatchObject({ epochs: 2, backend: 'trained by PyTorch DDP on 2 processes' });
      const log = RunLog.open(openWorkspace(home).database);
      try {
        const run = log.getRun(imported.run)!;
        expect(run).toMatchObject({ status: 'completed', epochsDone: 2, epochsPlanned: 2, datasetId, preset: 'quick' });
        expect((run.config as { trainedBy: { processes: number; engine: string } }).trainedBy).toMatchObject({ processes: 2, engine: 'pytorch-ddp' });
        const metrics = lines(path.join(job, 'run', 'metrics.jsonl'));
        expect(log.epochMetrics(run.id).map((m) => [m.epoch, m.trainLoss, m.validationTop1Error])).toEqual(metrics.map((m) => [m.epoch, m.trainLoss, m.validationTop1Error]));
        expect(log.notices(run.id).map((n) => n.code)).toEqual(expect.arrayContaining(['job-restarted', 'imported-job']));
        // conv1 after every epoch, epoch 0 being the job's initial weights.
        expect(log.kernelSnapshots(run.id).map((s) => [s.epoch, s.shape])).toEqual([0, 1, 2].map((e) => [e, [11, 11, 3, 12]]));
      } finally {
        log.close();
      }
      expect(cli('import-job', job).stderr).toMatch(/was imported already, as run/);
      // Its optimizer state stayed with the job: training it further here is refused, not started from nothing.
      const resumed = cli('resume', imported.run, '--epochs', '3');
      expect(resumed.code).toBe(2);
      expect(resumed.stderr).toMatch(/was trained by PyTorch DDP .* cannot be resumed here/);
    });

    it("evaluates the imported weights as PyTorch does: the same top-1 error and confusion, the same probabilities", () => {
      const pytorch = JSON.parse(fs.readFileSync(path.join(job, 'run', 'evaluation.json'), 'utf8')) as { top1Error: number; count: number; probabilities: number[][] };
      const ours = json<{ top1Error: number; count: number; labels: string[]; confusion: number[][] }>('evaluate', imported.run);
      expect(ours.count).toBe(40);
      expect(pytorch.count).toBe(40);
      expect(ours.top1Error).toBe(pytorch.top1Error);
      expect(imported.pytorchTop1Error).toBe(pytorch.top1Error);
      // PyTorch's confusion matrix, from its probabilities and the test images' labels in manifest order.
      const manifest = JSON.parse(fs.readFileSync(path.join(job, 'data', 'manifest.json'), 'utf8')) as { images: { split: string; label: number }[] };
      const truth = manifest.images.filter((i) => i.split === 'test').map((i) => i.label);
      const confusion = ours.labels.map(() => ours.labels.map(() => 0));
      pytorch.probabilities.forEach((p, i) => confusion[truth[i]!]![p.indexOf(Math.max(...p))]!++);
      expect(ours.confusion).toEqual(confusion);
      // Every test image's whole distribution, from the workbench's predict.
      const predicted = json<{ results: { predictions: { label: string; probability: number }[] }[] }>(
        'predict', imported.run, ...truth.map((_, i) => `test:${i}`), '--top', '4',
      );
      let worst = 0;
      predicted.results.forEach((r, i) => {
        for (const p of r.predictions) worst = Math.max(worst, Math.abs(p.probability - pytorch.probabilities[i]![ours.labels.indexOf(p.label)]!));
      });
      expect(worst).toBeLessThan(PROBABILITY_TOLERANCE);
    });

    it('looks inside it as inside any run: neighbours, kernels and export', () => {
      const neighbours = json<{ byFeatures: unknown[]; query: { path: string; label: string } }>('neighbours', imported.run, 'test:0', '-k', '3');
      expect(neighbours.byFeatures).toHaveLength(3);
      // The query by name: the first test image of the manifest, with its class.
      const first = (JSON.parse(fs.readFileSync(path.join(job, 'data', 'manifest.json'), 'utf8')) as { labels: string[]; images: { split: string; path: string; label: number }[] }).images.find((i) => i.split === 'test')!;
      expect(neighbours.query).toEqual({ path: first.path, label: JSON.parse(fs.readFileSync(path.join(job, 'data', 'manifest.json'), 'utf8')).labels[first.label] });
      const kernels = path.join(work, 'kernels');
      expect(cli('kernels', imported.run, '--out', kernels).code).toBe(0);
      expect(fs.readdirSync(kernels).filter((f) => f.endsWith('.png')).length).toBeGreaterThan(0);
      const exported = path.join(work, 'export');
      const r = cli('export', imported.run, '--out', exported);
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readdirSync(exported)).toEqual(expect.arrayContaining(['model.onnx']));
    });
  });

  describe("from the app (the Runs view's import)", () => {
    it('imports the finished job the app wrote, with its fc7 features', async () => {
      const answer = await service.handlers['cluster:import']({ folder: twin });
      const pytorch = JSON.parse(fs.readFileSync(path.join(twin, 'run', 'evaluation.json'), 'utf8')) as { top1Error: number };
      expect(answer.pytorchTop1Error).toBe(pytorch.top1Error);
      const listed = (await service.handlers['runs:list'](undefined)).find((r) => r.id === answer.runId);
      expect(listed).toMatchObject({ backend: 'trained by PyTorch DDP on 2 processes', epochsDone: 2 });
      expect(fs.existsSync(path.join(runDirectory(openWorkspace(home), answer.runId), 'features.bin'))).toBe(true);
    });

    it('refuses a folder the host does not allow, and a job imported already', async () => {
      await expect(service.handlers['cluster:import']({ folder: fs.mkdtempSync(path.join(os.tmpdir(), 'alexnet-elsewhere-')) })).rejects.toMatchObject({ code: 'E_PATH_REFUSED' });
      await expect(service.handlers['cluster:import']({ folder: twin })).rejects.toThrow(/was imported already, as run/);
    });
  });
});

function edit(file: string, change: (value: Record<string, unknown>) => Record<string, unknown>): void {
  fs.writeFileSync(file, JSON.stringify(change(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)));
}
