// `alexnet reproduce`: trains the paper's network and each of its ablations with the same seed, data and budget
// (the full model under several seeds, for error bars), evaluates every run with the centre crop and ten crops, and
// measures Figures 3 and 4 on the full model's runs. The report is written by report.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from '../backend/backend';
import type { Dataset } from '../dataset/dataset';
import { CACHE_IMAGE_SIZE } from '../dataset/types';
import { evaluate, type CropMode } from '../evaluate/evaluate';
import { readFeatureStore } from '../inspect/feature-store';
import { searchNeighbours } from '../inspect/neighbours';
import type { Preset } from '../model/config';
import type { RunLog, RunRow } from '../runlog/run-log';
import { downscale } from '../model/input';
import type { TrainEvent } from '../train/events';
import type { RecipeName } from '../train/recipe';
import { featuresFile } from '../compute/lookup';
import { loadRun } from '../workbench/run-files';
import { resumeTraining, startTraining, type TrainingSession } from '../service/local-training';
import { runSettings, type TrainingRequest } from '../workbench/training';
import { codeVersion } from '../version';
import { runDirectory, type Workspace } from '../workspace';
import type { Errors, Reproduction, Retrieval, RunResult, RunStart } from './results';
import { precisionAtK, towerColour, towerHistory } from './measures';
import { ABLATION_VARIANTS, FULL_MODEL, type Variant } from './variants';

export type { Errors, Reproduction, Retrieval, RunResult, RunStart } from './results';

/** Side of the images raw-pixel retrieval compares (the 256x256 cache averaged in 4x4 blocks: 12,288 values). */
export const PIXEL_SIDE = 64;

export interface ReproduceOptions {
  dataset: Dataset;
  preset: Preset;
  recipe: RecipeName;
  epochs?: number;
  batchSize?: number;
  /** The full model trains once per seed; each ablation with the first. At least one. */
  seeds: number[];
  /** Ids of the ablations to train (default: all of them); the full model always trains. */
  ablations?: string[];
  /** Retrieval depths for Figure 4. Default 1 and 5. */
  ks?: number[];
  /**
   * Train every run anew. By default a run that an earlier reproduction with the same settings, data and code
   * completed is reused, and one it left interrupted, stopped or failed is resumed from its last checkpoint.
   */
  fresh?: boolean;
  /** Called as each run starts (new, reused or resumed), and with its training events. */
  onRun?: (variant: Variant, seed: number, runId: string, how: RunStart, position: { index: number; total: number }) => void;
  onEvent?: (event: TrainEvent) => void;
}

async function evaluateRun(log: RunLog, runId: string): Promise<Record<CropMode, Errors>> {
  const loaded = loadRun(log, runId);
  try {
    const test = loaded.dataset.entries('test');
    const out = {} as Record<CropMode, Errors>;
    for (const crops of ['centre', 'ten'] as const) {
      const result = await evaluate(loaded.model, loaded.source, test, loaded.transform, { crops });
      const checkpoint = log.checkpoints(runId).find((c) => c.path === loaded.checkpoint);
      log.addEvaluation({ runId, checkpointId: checkpoint?.id ?? null, split: 'test', crops, top1Error: result.top1Error, top5Error: result.top5Error, loss: result.loss, perClassAccuracy: result.perClassAccuracy, confusion: result.confusion });
      out[crops] = { top1: result.top1Error, top5: result.top5Error };
    }
    return out;
  } finally {
    loaded.dispose();
  }
}

/** Figure 4 on one run: fc7 features (stored for training, computed for test) against 64x64 raw pixels. */
async function retrieval(workspace: Workspace, log: RunLog, runId: string, seed: number, ks: number[]): Promise<Retrieval> {
  const loaded = loadRun(log, runId);
  try {
    const { dataset } = loaded;
    const train = dataset.entries('train');
    const test = dataset.entries('test');
    const store = readFeatureStore(featuresFile(runDirectory(workspace, runId)));
    const trainLabels = store.records.map((r) => train[r]!.label);
    const width = store.dimension;
    const testFeatures = new Float32Array(test.length * width);
    await evaluate(loaded.model, loaded.source, test, loaded.transform, { onFeatures: (first, batch) => testFeatures.set(batch, first * width) });
    const testLabels = test.map((e) => e.label);
    const pixels = (entries: typeof train, records: number[]) => {
      const side = PIXEL_SIDE * PIXEL_SIDE * 3;
      const out = new Float32Array(records.length * side);
      records.forEach((r, i) => out.set(downscale(dataset.readRecord(entries[r]!.record), CACHE_IMAGE_SIZE, CACHE_IMAGE_SIZE / PIXEL_SIDE), i * side));
      return out;
    };
    const testPositions = test.map((_, i) => i);
    const trainPixels = pixels(train, store.records);
    const testPixels = pixels(test, testPositions);
    // One exact search each way, to the largest k: precision@k and the pixel distances both read it.
    const side = PIXEL_SIDE * PIXEL_SIDE * 3;
    const k = Math.max(...ks);
    const foundByFeatures = await searchNeighbours(tf, testFeatures, store.features, width, k);
    const foundByPixels = await searchNeighbours(tf, testPixels, trainPixels, side, k);
    const fc7 = precisionAtK(foundByFeatures, testLabels, trainLabels, ks);
    const raw = precisionAtK(foundByPixels, testLabels, trainLabels, ks);
    // One example query per class (up to four), with its six nearest each way.
    const examples: Retrieval['examples'] = [];
    for (const label of [...new Set(testLabels)].slice(0, 4)) {
      const q = testLabels.indexOf(label);
      const byFeatures = (await searchNeighbours(tf, testFeatures.subarray(q * width, (q + 1) * width), store.features, width, 6))[0]!.map((n) => store.records[n.index]!);
      const byPixels = (await searchNeighbours(tf, testPixels.subarray(q * side, (q + 1) * side), trainPixels, side, 6))[0]!.map((n) => store.records[n.index]!);
      examples.push({ query: q, byFeatures, byPixels });
    }
    const distance = (q: number, t: number) => {
      let sum = 0;
      for (let i = 0; i < side; i++) sum += (testPixels[q * side + i]! - trainPixels[t * side + i]!) ** 2;
      return Math.sqrt(sum);
    };
    const meanDistance = (found: { index: number }[][]) => found.reduce((total, list, q) => total + list.reduce((s, n) => s + distance(q, n.index), 0) / list.length, 0) / found.length;
    const pixelDistance = { k, fc7: meanDistance(foundByFeatures), pixels: meanDistance(foundByPixels) };
    return { runId, seed, ks, fc7, pixels: raw, examples, pixelDistance };
  } finally {
    loaded.dispose();
  }
}

/** Statuses of a run that an earlier reproduction left and that can be resumed. */
const RESUMABLE: readonly RunRow['status'][] = ['interrupted', 'stopped', 'failed'];

/** The newest run of an earlier reproduction with exactly this request's settings, data and code, if any. */
function earlierRun(log: RunLog, request: TrainingRequest): RunRow | undefined {
  const wanted = JSON.stringify(runSettings(request));
  const version = codeVersion();
  return log
    .listRuns({ datasetId: request.dataset.manifest.id })
    .filter((r) => r.name === request.name && r.seed === request.seed && r.codeVersion === version && JSON.stringify(r.config) === wanted)
    .filter((r) => r.status === 'completed' || RESUMABLE.includes(r.status))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
}

export async function reproduce(workspace: Workspace, log: RunLog, backend: BackendInfo, options: ReproduceOptions): Promise<Reproduction> {
  const { dataset, seeds } = options;
  if (seeds.length === 0) throw new Error('Reproduction needs at least one seed.');
  if (dataset.entries('test').length === 0) throw new Error(`Dataset '${dataset.manifest.name}' has no test images: every variant is compared on the test split.`);
  const ks = options.ks ?? [1, 5];
  const unknown = (options.ablations ?? []).filter((id) => !ABLATION_VARIANTS.some((v) => v.id === id));
  if (unknown.length > 0) throw new Error(`Ablation '${unknown[0]}' is not known; use ${ABLATION_VARIANTS.map((v) => v.id).join(', ')}.`);
  const ablations = ABLATION_VARIANTS.filter((v) => options.ablations === undefined || options.ablations.includes(v.id));
  const plan: { variant: Variant; seed: number }[] = [...seeds.map((seed) => ({ variant: FULL_MODEL, seed })), ...ablations.map((variant) => ({ variant, seed: seeds[0]! }))];
  const results = new Map<string, RunResult[]>();
  const towers: Reproduction['towers'] = [];
  const retrievals: Retrieval[] = [];
  let epochs = 0;
  let batchSize = 0;
  for (const [index, { variant, seed }] of plan.entries()) {
    const position = { index, total: plan.length };
    const request: TrainingRequest = {
      dataset,
      preset: options.preset,
      recipe: options.recipe,
      overrides: { ...(options.epochs !== undefined ? { epochs: options.epochs } : {}), ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}) },
      ablations: variant.ablations,
      seed,
      name: `reproduce: ${variant.label}, seed ${seed}`,
    };
    const earlier = options.fresh ? undefined : earlierRun(log, request);
    let runId: string;
    if (earlier?.status === 'completed') {
      runId = earlier.id;
      options.onRun?.(variant, seed, runId, 'reused', position);
    } else {
      let session: TrainingSession | undefined;
      if (earlier) {
        try {
          session = resumeTraining(workspace, log, backend, earlier.id, {}, options.onEvent);
          options.onRun?.(variant, seed, earlier.id, 'resumed', position);
        } catch {
          // Nothing to resume from (it stopped before its first checkpoint): train it anew.
        }
      }
      if (!session) {
        session = startTraining(workspace, log, backend, request, options.onEvent);
        options.onRun?.(variant, seed, session.runId, 'new', position);
      }
      runId = session.runId;
      const outcome = await session.done;
      if (outcome.outcome !== 'completed') throw new Error(`The run of '${variant.label}' (seed ${seed}) ended ${outcome.outcome}: ${outcome.message}`);
    }
    const config = log.getRun(runId)!.config as { recipe: { epochs: number; batchSize: number } };
    epochs = config.recipe.epochs;
    batchSize = config.recipe.batchSize;
    const crops = await evaluateRun(log, runId);
    results.set(variant.id, [...(results.get(variant.id) ?? []), { runId, seed, crops }]);
    if (variant === FULL_MODEL) {
      const snapshots = log.kernelSnapshots(runId);
      const colour = towerColour(snapshots, log.getRun(runId)!);
      towers.push({ runId, seed, history: towerHistory(snapshots), ...(colour ? { colour } : {}) });
      retrievals.push(await retrieval(workspace, log, runId, seed, ks));
    }
  }
  return {
    date: new Date().toISOString(),
    codeVersion: codeVersion(),
    backend: backend.name,
    device: backend.device,
    preset: options.preset,
    recipe: options.recipe,
    epochs,
    batchSize,
    dataset: { id: dataset.manifest.id, name: dataset.manifest.name, labels: dataset.labels, train: dataset.entries('train').length, test: dataset.entries('test').length },
    variants: [FULL_MODEL, ...ablations].map((variant) => ({ variant, runs: results.get(variant.id) ?? [] })),
    towers,
    retrieval: retrievals,
  };
}
