// The workbench service end to end on real parts: real photos imported, a real SQLite run log, training on a real
// compute child process (CPU backend), and the answers of every looking-inside channel checked against independent
// computations (brute-force neighbours in float64, the confusion matrix's own arithmetic, the checkpoint's weights).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostEvent, TrainRequest } from '../api/contract';
import type { Endpoint } from '../compute/protocol';
import { selectBackend } from '../backend/backend';
import { readFeatureStore } from '../inspect/feature-store';
import { kernelScores, type KernelShape } from '../inspect/kernels';
import { AlexNet, countParameters, parameterSpecs } from '../model/alexnet';
import { applyAblations, quickConfig } from '../model/config';
import { RunLog } from '../runlog/run-log';
import { readCheckpoint } from '../train/checkpoint';
import { datasetPixels, features, featuresFile } from '../compute/lookup';
import { loadModel } from '../compute/run-model';
import { newestReadableCheckpoint } from '../workbench/training';
import { openWorkspace, runDirectory, type Workspace } from '../workspace';
import { serviceWithCompute, smallDataset, tempHome } from '../../e2e/fixtures';
import type { Handlers } from './dispatch';
import type { Service } from './service';

import { NO_ABLATIONS } from '../vocabulary';

let workspace: Workspace;
let service: Service;
let handlers: Handlers;
let data: string;
const events: HostEvent[] = [];
const endpoints: Endpoint[] = [];
const endStates: Promise<{ event: string; runId: string; active: string | null }>[] = [];

/** Resolves with the first event (from now on, or already seen after `from`) that matches. */
function nextEvent<T extends HostEvent['type']>(type: T, match: (e: Extract<HostEvent, { type: T }>) => boolean = () => true, from = events.length): Promise<Extract<HostEvent, { type: T }>> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = events.slice(from).find((e): e is Extract<HostEvent, { type: T }> => e.type === type && match(e as Extract<HostEvent, { type: T }>));
      if (found) {
        clearInterval(timer);
        resolve(found);
      } else if (Date.now() - started > 120_000) {
        clearInterval(timer);
        reject(new Error(`No '${type}' event came in 120 s; the last events were ${JSON.stringify(events.slice(-5)).slice(0, 800)}`));
      }
    };
    const timer = setInterval(check, 20);
    check();
  });
}

async function importFolder(folder: string): Promise<Extract<HostEvent, { type: 'import:finished' }>> {
  const from = events.length;
  const { jobId } = await handlers['datasets:import']({ folder });
  return nextEvent('import:finished', (e) => e.jobId === jobId, from);
}

const quick = (datasetId: string, overrides: Partial<TrainRequest> = {}): TrainRequest => ({
  datasetId,
  preset: 'quick',
  recipe: 'small-data',
  epochs: 1,
  batchSize: 4,
  seed: 3,
  ablations: NO_ABLATIONS,
  ...overrides,
});

beforeAll(async () => {
  await selectBackend('cpu'); // for the in-process reference computations below
  workspace = openWorkspace(tempHome());
  data = smallDataset(3, 8, 3); // 24 training photos (6 steps of 4), 9 test photos
  service = serviceWithCompute(workspace, [data], endpoints);
  handlers = service.handlers;
  service.subscribe((e) => {
    events.push(e);
    // The job state as a request answered right after this event would read it (the handler reads it at once).
    if (e.type === 'run:finished' || (e.type === 'run:status' && e.status !== 'running' && e.status !== 'paused')) {
      const runId = e.runId;
      endStates.push(handlers['jobs:state'](undefined).then((state) => ({ event: e.type, runId, active: state.active?.runId ?? null })));
    }
  });
});

afterAll(async () => {
  await service?.close();
});

describe('the workbench service', () => {
  let datasetId: string;
  let runId: string;

  it('imports a folder with progress, lists it and pages through its images and thumbnails', async () => {
    const finished = await importFolder(data);
    expect(finished.error).toBeNull();
    datasetId = finished.datasetId!;
    expect(events.some((e) => e.type === 'import:progress' && e.phase === 'decoding' && e.total === 33)).toBe(true);
    expect(await handlers['datasets:list'](undefined)).toEqual([expect.objectContaining({ id: datasetId, classes: 3, images: 33, train: 24, test: 9 })]);
    const detail = await handlers['datasets:get']({ datasetId });
    expect(detail.counts.map((c) => [c.train, c.test])).toEqual([[8, 3], [8, 3], [8, 3]]);
    expect(detail.report.split).toEqual({ kind: 'folders' });
    expect(detail.report.totals).toMatchObject({ skipped: 0, duplicates: 0, leakage: 0 });
    const page = await handlers['datasets:images']({ datasetId, label: 1, split: 'train', offset: 2, limit: 4 });
    expect(page.total).toBe(8);
    expect(page.items.map((i) => [i.split, i.index, i.label])).toEqual([['train', 10, 1], ['train', 11, 1], ['train', 12, 1], ['train', 13, 1]]);
    const [thumbnail] = await handlers['datasets:thumbnails']({ datasetId, images: [{ split: 'train', index: 10 }], size: 48 });
    const jpeg = Buffer.from(thumbnail!.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 48, height: 48 });
    await expect(handlers['datasets:thumbnails']({ datasetId, images: [{ split: 'test', index: 9 }] })).rejects.toThrow(/Image 9 of the test split does not exist; it has 9 images/);
  });

  it('refuses folders outside the allowed ones, and reports why a folder without classes cannot be imported', async () => {
    await expect(handlers['datasets:import']({ folder: path.dirname(data) })).rejects.toMatchObject({ code: 'E_PATH_REFUSED' });
    const empty = path.join(data, 'train', 'no-classes-here');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'not an image');
    const finished = await importFolder(empty);
    expect(finished.datasetId).toBeNull();
    expect(finished.error?.message).toMatch(/No images were found in '.*no-classes-here'/);
    expect(finished.skipped).toEqual([expect.objectContaining({ path: 'notes.txt' })]);
  });

  it('trains one run at a time: a second start waits in the queue and can be taken off it', async () => {
    const first = await handlers['train:start'](quick(datasetId, { name: 'first' }));
    const second = await handlers['train:start'](quick(datasetId, { name: 'second', seed: 4 }));
    expect([first.queued, second.queued]).toEqual([false, true]);
    runId = first.runId;
    const state = await handlers['jobs:state'](undefined);
    expect(state.active?.runId).toBe(runId);
    expect(state.queued).toEqual([second.runId]);
    await expect(handlers['runs:delete']({ runId })).rejects.toMatchObject({ code: 'E_BUSY' });
    await expect(handlers['train:estimate'](quick(datasetId))).rejects.toThrow(new RegExp(`Run '${runId}' is training now, and a probe beside it would measure both`));
    await expect(handlers['train:control']({ runId: second.runId, action: 'pause' })).rejects.toMatchObject({ code: 'E_STATE' });
    await handlers['train:control']({ runId: second.runId, action: 'stop' });
    expect((await handlers['jobs:state'](undefined)).queued).toEqual([]);
    const finished = await nextEvent('run:finished', (e) => e.runId === runId);
    expect(finished.outcome).toBe('completed');
    const ofRun = events.filter((e) => 'runId' in e && e.runId === runId).map((e) => e.type);
    expect(ofRun.indexOf('run:started')).toBeLessThan(ofRun.indexOf('run:step'));
    expect(ofRun.indexOf('run:step')).toBeLessThan(ofRun.indexOf('run:epoch'));
    const runs = await handlers['runs:list'](undefined);
    expect(runs.find((r) => r.id === second.runId)).toMatchObject({ status: 'stopped', resumable: true, stepsDone: 0 });
    const detail = await handlers['runs:get']({ runId });
    expect(detail).toMatchObject({ status: 'completed', backend: 'wasm', epochsDone: 1, stepsDone: 6, resumable: false });
    expect(detail.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(detail.epochs).toHaveLength(1);
    expect(detail.settings).toMatchObject({ 'model.preset': 'quick', 'recipe.batchSize': 4, 'model.convWidths': '24, 64, 96, 96, 64', seed: 3 });
  });

  it('estimates time per epoch and memory from a probe of real steps on the compute side, measured once per model', async () => {
    const parameters = countParameters(parameterSpecs(quickConfig(3)));
    const estimate = await handlers['train:estimate'](quick(datasetId, { epochs: 2 }));
    expect(estimate).toMatchObject({ backend: { name: 'wasm', accelerated: false }, scaled: false, stepsPerEpoch: 6, epochs: 2, batchSize: 4, trainImages: 24, testImages: 9 });
    expect(estimate.probe).toMatchObject({ batch: 4, parameterBytes: parameters * 4, stateBytes: parameters * 4 * 3 });
    expect(estimate.peakBytes).toBeGreaterThan(parameters * 4 * 4);
    expect(estimate.secondsPerEpoch).toBeCloseTo(6 * estimate.probe.stepSeconds + (9 / 4) * estimate.probe.forwardSeconds, 9);
    // Other epochs need no new probe; another model does.
    const longer = await handlers['train:estimate'](quick(datasetId, { epochs: 5 }));
    expect(longer.probe).toEqual(estimate.probe);
    expect(longer.secondsInAll).toBeCloseTo(5 * estimate.secondsPerEpoch, 9);
    const narrow = await handlers['train:estimate'](quick(datasetId, { ablations: { ...NO_ABLATIONS, oneTower: true } }));
    expect(narrow.probe.parameterBytes).toBe(countParameters(parameterSpecs(applyAblations(quickConfig(3), { oneTower: true }))) * 4);
    await expect(handlers['train:estimate'](quick('no-such-dataset'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('exports the run as ONNX and TensorFlow.js weights into its folder, on the compute side', async () => {
    const files = await handlers['runs:export']({ runId });
    expect(files.folder).toBe(path.join(runDirectory(workspace, runId), 'export'));
    for (const file of [files.onnx, files.tfjsModel, files.tfjsWeights]) expect(fs.statSync(file).size).toBeGreaterThan(1000);
    // Each file is offered for download under its own name, behind a ticket the service answers with that file.
    expect(files.downloads.map((d) => d.name)).toEqual(['model.onnx', 'model.json', 'weights.bin']);
    files.downloads.forEach((d, i) => {
      const file = [files.onnx, files.tfjsModel, files.tfjsWeights][i]!;
      expect(d.bytes).toBe(fs.statSync(file).size);
      expect(service.download(d.ticket)).toEqual({ file, name: d.name });
    });
    // A run that never trained has nothing to export.
    const mark = events.length;
    const { runId: first } = await handlers['train:start'](quick(datasetId, { name: 'first' }));
    const { runId: never } = await handlers['train:start'](quick(datasetId, { name: 'never trained' }));
    await handlers['train:control']({ runId: never, action: 'stop' });
    await expect(handlers['runs:export']({ runId: never })).rejects.toMatchObject({ code: 'E_STATE', message: expect.stringMatching(/no checkpoint yet/) });
    await handlers['train:control']({ runId: first, action: 'stop' });
    await nextEvent('run:finished', (e) => e.runId === first, mark);
    for (const id of [first, never]) await handlers['runs:delete']({ runId: id });
  });

  it("shows conv1's kernels per tower, scored from the run's own weights", async () => {
    const view = await handlers['kernels:get']({ runId });
    expect(view.snapshots).toEqual([{ epoch: 1, step: 6 }]);
    expect(view.towers.map((t) => t.tower)).toEqual(['a', 'b']);
    const weights = readCheckpoint(newestReadableCheckpoint(RunLog.open(workspace.database, { readonly: true }), runId)!).weights;
    for (const tower of view.towers) {
      const w = weights.get(`conv1/${tower.tower}/kernel`)!;
      const expected = kernelScores(w, view.shape as KernelShape);
      expect(tower.scores).toEqual(expected);
      expect(tower.score).toBeCloseTo(expected.reduce((a, b) => a + b) / expected.length, 12);
      const png = Buffer.from(tower.image.replace(/^data:image\/png;base64,/, ''), 'base64');
      expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: tower.width, height: tower.height });
    }
    // Figure 3's baseline is where this run's trainer started: the quick model under small-data's He-normal, seed 3.
    const start = AlexNet.create(quickConfig(3), 'he-normal', 3);
    try {
      for (const [t, colour] of view.colour.towers.entries()) {
        expect(colour.tower).toBe(view.towers[t]!.tower);
        expect(colour.score).toBeCloseTo(view.towers[t]!.score, 12);
        const initial = kernelScores(await start.parameter(`conv1/${colour.tower}/kernel`).data(), view.shape as KernelShape);
        expect(colour.initialScore).toBeCloseTo(initial.reduce((a, b) => a + b) / initial.length, 12);
      }
      // The scores over the epochs: the start (regenerated), then each snapshot, the same numbers as above.
      expect(view.history.map((h) => [h.epoch, h.step])).toEqual([[0, 0], [1, 6]]);
      view.history[0]!.scores.forEach((score, t) => expect(score).toBeCloseTo(view.colour.towers[t]!.initialScore!, 12));
      view.history[1]!.scores.forEach((score, t) => expect(score).toBeCloseTo(view.towers[t]!.score, 12));
    } finally {
      start.dispose();
    }
    expect(view.colour.split).toMatchObject({ permutations: 10_000, significant: view.colour.specialised });
    expect(view.colour.verdict).toMatch(/^(no specialisation detectable|tower [ab] is more colour-specific than tower [ab]): the towers differ by /);
    expect(view.colourNotes.definition).toMatch(/about 2\/3 for random kernels/);
    await expect(handlers['kernels:get']({ runId, snapshot: 5 })).rejects.toThrow(/Snapshot 5 does not exist; run '.*' has snapshots 0 to 0/);
  });

  it('looks up an image: top-5 from the model, and its nearest training images by fc7 exactly as a brute-force search finds them', async () => {
    const result = await handlers['lookup:query']({ runId, image: { kind: 'dataset', split: 'test', index: 4 } });
    expect(result.predictions).toHaveLength(3);
    expect(result.predictions.reduce((s, p) => s + p.probability, 0)).toBeCloseTo(1, 5);
    expect(result.byFeatures).toHaveLength(6);
    expect(result.byPixels).toHaveLength(6);
    // Brute force in float64 over the stored features, with the query's fc7 computed here in-process.
    const log = RunLog.open(workspace.database, { readonly: true });
    const model = loadModel(newestReadableCheckpoint(log, runId)!, log.getDataset(datasetId)!.dir);
    try {
      const q = await features(model, datasetPixels(model, 'test', 4));
      const store = readFeatureStore(featuresFile(runDirectory(workspace, runId)));
      const distances = store.records.map((_, i) => Math.sqrt(Array.from(q).reduce((s, v, j) => s + (v - store.features[i * store.dimension + j]!) ** 2, 0)));
      const order = distances.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0]).slice(0, 6);
      expect(result.byFeatures!.map((n) => n.index)).toEqual(order.map(([, i]) => i));
      result.byFeatures!.forEach((n, i) => expect(n.distance).toBeCloseTo(order[i]![0], 3));
    } finally {
      model.dispose();
    }
    const self = await handlers['lookup:query']({ runId, image: { kind: 'dataset', split: 'train', index: 5 } });
    expect(self.byFeatures!.map((n) => n.index)).not.toContain(5);
    // Without stored features: the predictions and the pixel neighbours all the same, no fc7 neighbours; computed on
    // request, the same neighbours as before.
    const file = featuresFile(runDirectory(workspace, runId));
    fs.renameSync(file, `${file}.aside`);
    try {
      const bare = await handlers['lookup:query']({ runId, image: { kind: 'dataset', split: 'test', index: 4 } });
      expect([bare.byFeatures, bare.predictions, bare.byPixels]).toEqual([null, result.predictions, result.byPixels]);
      expect(await handlers['lookup:features']({ runId })).toEqual({ images: 24 });
      expect((await handlers['lookup:query']({ runId, image: { kind: 'dataset', split: 'test', index: 4 } })).byFeatures).toEqual(result.byFeatures);
    } finally {
      fs.rmSync(`${file}.aside`, { force: true });
    }
    // The class each dataset image is filed under, read from its folder (train/<class>/...): test 4 and train 5.
    const { labels } = await handlers['datasets:get']({ datasetId });
    const { items } = await handlers['datasets:images']({ datasetId, label: null, split: 'all', offset: 0, limit: 100 });
    const folderClass = (split: string, index: number) => items.find((i) => i.split === split && i.index === index)!.path.split('/')[1]!;
    expect(result.trueLabel).toEqual({ label: folderClass('test', 4), labelIndex: labels.indexOf(folderClass('test', 4)) });
    expect(self.trueLabel?.label).toBe(folderClass('train', 5));
    const photo = fs.readFileSync(path.join(data, 'test', labels[0]!, fs.readdirSync(path.join(data, 'test', labels[0]!)).sort()[0]!));
    expect((await handlers['lookup:query']({ runId, image: { kind: 'bytes', name: 'photo.jpg', base64: photo.toString('base64') } })).trueLabel).toBeNull();
    await expect(handlers['lookup:query']({ runId, image: { kind: 'bytes', name: 'broken.jpg', base64: Buffer.from('not a jpeg').toString('base64') } })).rejects.toMatchObject({
      code: 'E_BAD_REQUEST',
      message: expect.stringMatching(/broken\.jpg/),
    });
  });

  it('bounds the look-ups in flight, refusing the ones beyond at once with a clear error', async () => {
    const image = { kind: 'dataset' as const, split: 'test' as const, index: 1 };
    const answers = await Promise.allSettled(Array.from({ length: 7 }, () => handlers['lookup:query']({ runId, image })));
    expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(4);
    const refused = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected').map((a) => a.reason as { code: string; message: string });
    expect(refused).toHaveLength(3);
    for (const error of refused) expect(error).toMatchObject({ code: 'E_TOO_MANY_REQUESTS', message: expect.stringMatching(/Too many look-ups at once \(4 are running\)/) });
    expect((await handlers['lookup:query']({ runId, image })).predictions).toHaveLength(3);
  });

  it('gives the confusion matrix and, for a cell, exactly its images by falling confidence', async () => {
    const view = await handlers['confusion:get']({ runId, crops: 'centre' });
    expect(view.count).toBe(9);
    // The newest checkpoint, as the run log lists them.
    const newest = (await handlers['runs:get']({ runId })).checkpoints.at(-1)!;
    expect(view.checkpoint).toEqual({ epoch: newest.epoch, step: newest.step });
    expect(view.matrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([3, 3, 3]);
    const correct = view.matrix.reduce((s, row, i) => s + row[i]!, 0);
    expect(view.top1Error).toBeCloseTo(1 - correct / 9, 12);
    for (let t = 0; t < 3; t++) {
      for (let p = 0; p < 3; p++) {
        const images = await handlers['confusion:cell']({ runId, crops: 'centre', trueLabel: t, predictedLabel: p });
        expect(images).toHaveLength(view.matrix[t]![p]!);
        const confidences = images.map((i) => i.confidence);
        expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
      }
    }
    // Ten crops: cancelled at once (the compute side sees it between batches: before the first, or on a busy machine
    // after one), then asked again, with progress.
    const cancelled = handlers['confusion:get']({ runId, crops: 'ten' });
    expect(await handlers['confusion:cancel']({ runId, crops: 'ten' })).toEqual({ cancelled: true });
    await expect(cancelled).rejects.toMatchObject({ code: 'E_CANCELLED', message: expect.stringMatching(/^The evaluation was cancelled after [0-8] of 9 images\.$/) });
    expect(await handlers['confusion:cancel']({ runId, crops: 'ten' })).toEqual({ cancelled: false });
    const from = events.length;
    const ten = await handlers['confusion:get']({ runId, crops: 'ten' });
    expect(ten.count).toBe(9);
    // A quarter of the split a part at most: 3 images, 3 reports, the last at the end.
    const progress = events.slice(from).filter((e): e is Extract<HostEvent, { type: 'evaluation:progress' }> => e.type === 'evaluation:progress' && e.runId === runId);
    expect(progress.map((e) => [e.crops, e.done, e.total])).toEqual([['ten', 3, 9], ['ten', 6, 9], ['ten', 9, 9]]);
    expect((await handlers['runs:get']({ runId })).evaluations.map((e) => e.crops).sort()).toEqual(['centre', 'ten']);
  });

  it('pauses, resumes, divides the learning rate and stops a run, which then resumes to completion', async () => {
    let mark = events.length;
    const { runId: steered } = await handlers['train:start'](quick(datasetId, { epochs: 4, name: 'steered' }));
    await nextEvent('run:step', (e) => e.runId === steered, mark);
    mark = events.length;
    await handlers['train:control']({ runId: steered, action: 'pause' });
    await nextEvent('run:status', (e) => e.runId === steered && e.status === 'paused', mark);
    expect((await handlers['jobs:state'](undefined)).active).toMatchObject({ runId: steered, status: 'paused' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(events.slice(mark).filter((e) => e.type === 'run:step' && e.runId === steered).length).toBeLessThanOrEqual(1); // at most the step in flight
    mark = events.length;
    await handlers['train:control']({ runId: steered, action: 'divide-learning-rate' });
    await handlers['train:control']({ runId: steered, action: 'resume' });
    const divided = await nextEvent('run:learning-rate', (e) => e.runId === steered, mark);
    await nextEvent('notice', (e) => e.runId === steered && e.code === 'learning-rate-manual', mark);
    mark = events.length;
    await handlers['train:control']({ runId: steered, action: 'stop' });
    const stopped = await nextEvent('run:finished', (e) => e.runId === steered, mark);
    expect(stopped.outcome).toBe('stopped');
    expect((await handlers['runs:list'](undefined)).find((r) => r.id === steered)).toMatchObject({ status: 'stopped', resumable: true });
    mark = events.length;
    await handlers['train:resume']({ runId: steered });
    const completed = await nextEvent('run:finished', (e) => e.runId === steered, mark);
    expect(completed.outcome).toBe('completed');
    const detail = await handlers['runs:get']({ runId: steered });
    expect(detail).toMatchObject({ status: 'completed', stepsDone: 24, epochsDone: 4 });
    // The division by hand, where it took effect: after the steps done when it was asked, before the first at the lower rate.
    expect(detail.learningRateDrops).toHaveLength(1);
    const drop = detail.learningRateDrops[0]!;
    expect(drop).toMatchObject({ reason: 'manual', previousLearningRate: 1e-3, learningRate: 1e-4, step: divided.step, epoch: divided.epoch });
    expect(drop.step).toBe(detail.steps.find((p) => p.learningRate < 1e-3)!.step - 1);
    expect(drop.epoch).toBe(drop.step / 6);
    await expect(handlers['train:resume']({ runId: steered })).rejects.toMatchObject({ code: 'E_STATE', message: expect.stringMatching(/completed its 4 epochs/) });
  });

  it('marks a run failed when its compute process dies, keeps its checkpoint, and starts a new compute process for the next call', async () => {
    const mark = events.length;
    // Long enough that the kill lands mid-run however fast the steps are.
    const { runId: doomed } = await handlers['train:start'](quick(datasetId, { epochs: 20, name: 'doomed' }));
    await nextEvent('run:epoch', (e) => e.runId === doomed, mark);
    await nextEvent('run:step', (e) => e.runId === doomed && e.epoch === 1, mark);
    endpoints[endpoints.length - 1]!.close(); // the compute process is killed mid-epoch
    const finished = await nextEvent('run:finished', (e) => e.runId === doomed, mark);
    expect(finished.outcome).toBe('failed');
    expect(finished.message).toMatch(/compute process ended while answering 'train'/);
    const run = (await handlers['runs:list'](undefined)).find((r) => r.id === doomed)!;
    expect(run).toMatchObject({ status: 'failed', resumable: true });
    expect(run.epochsDone).toBeGreaterThanOrEqual(1);
    expect(run.epochsDone).toBeLessThan(20);
    const before = endpoints.length;
    const lookup = await handlers['lookup:query']({ runId, image: { kind: 'dataset', split: 'test', index: 0 } });
    expect(lookup.predictions).toHaveLength(3);
    expect(endpoints.length).toBe(before + 1);
    await handlers['runs:delete']({ runId: doomed });
    expect(fs.existsSync(runDirectory(workspace, doomed))).toBe(false);
    await expect(handlers['runs:get']({ runId: doomed })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it("never announces a run's end while the job state still shows it training (a page would show it running)", async () => {
    const states = await Promise.all(endStates);
    expect(states.filter((s) => s.event === 'run:finished').map((s) => s.runId)).toEqual(expect.arrayContaining([runId]));
    expect(states.length).toBeGreaterThanOrEqual(8);
    expect(states.filter((s) => s.active === s.runId)).toEqual([]);
  });
});
