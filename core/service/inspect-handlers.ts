// The looking-inside channels: conv1's kernels per tower through the snapshots (Figure 3), look-up of any image
// (top-5 and nearest neighbours, Figure 4), and the confusion matrix with the images behind each cell.
import { ApiError, type CellImage, type ConfusionView, type CropMode, type KernelTower, type KernelView, type LookupResult, type NeighbourInfo } from '../api/contract';
import type { EvaluateAnswer } from '../compute/protocol';
import { decodeImageBytes, DecodeError } from '../dataset/decode';
import { COLOUR_DEFINITION, COLOUR_METHOD, colourBaseline, RANDOM_RANGE_SDS, runInitialConv1 } from '../inspect/colour-baseline';
import { kernelGridPng, kernelScores, snapshotTowers, type KernelShape } from '../inspect/kernels';
import type { KernelSnapshotRow } from '../runlog/run-log';
import { readFeatureStore } from '../inspect/feature-store';
import { featuresFile, datasetPixels, type Neighbour } from '../compute/lookup';
import { runModelFiles } from '../workbench/run-files';
import { runDirectory } from '../workspace';
import { requireRun, type ServiceContext } from './context';
import type { Handlers } from './dispatch';
import { jpegDataUrl, pngDataUrl, THUMBNAIL_SIZE } from '../inspect/image-urls';
import type { ModelConfig } from '../model/config';

type InspectHandlers = Pick<Handlers, 'kernels:get' | 'lookup:query' | 'lookup:features' | 'confusion:get' | 'confusion:cell' | 'confusion:cancel'>;

/** How kernel grids are drawn: 8 per row, each pixel 4x4, 1 pixel between kernels. */
const GRID = { columns: 8, scale: 4, padding: 1 };
/** A confusion cell lists at most this many images. */
const CELL_LIMIT = 200;

export function inspectHandlers(context: ServiceContext): InspectHandlers {
  const { log } = context;
  // Evaluations with each image's answer, per run, checkpoint and crops; computed once, shared by concurrent callers.
  const evaluations = new Map<string, Promise<EvaluateAnswer>>();
  /** What cancels each evaluation in flight, by the same key. */
  const cancels = new Map<string, AbortController>();

  const modelFiles = (runId: string) => {
    requireRun(log, runId);
    try {
      return runModelFiles(log, runId);
    } catch (error) {
      throw new ApiError('E_STATE', (error as Error).message);
    }
  };

  const evaluation = (runId: string, crops: CropMode): Promise<EvaluateAnswer> => {
    const files = modelFiles(runId);
    const key = `${runId}\n${files.checkpoint}\n${crops}`;
    let pending = evaluations.get(key);
    if (!pending) {
      const controller = new AbortController();
      cancels.set(key, controller);
      const onProgress = (done: number, total: number) => context.emit({ type: 'evaluation:progress', runId, crops, done, total });
      pending = context.compute.call('evaluate', { checkpoint: files.checkpoint, datasetDir: files.datasetDir, split: 'test', crops }, { onProgress, signal: controller.signal }).then((answer) => {
        const checkpointRow = log.checkpoints(runId).find((c) => c.path === files.checkpoint);
        if (log.getRun(runId)) {
          log.addEvaluation({
            runId,
            checkpointId: checkpointRow?.id ?? null,
            split: 'test',
            crops,
            top1Error: answer.top1Error,
            top5Error: answer.top5Error,
            loss: answer.loss,
            perClassAccuracy: answer.perClassAccuracy,
            confusion: answer.confusion,
          });
        }
        return answer;
      });
      evaluations.set(key, pending);
      pending.catch(() => evaluations.delete(key));
      const forget = () => cancels.delete(key);
      pending.then(forget, forget);
    }
    return pending;
  };

  // Each snapshot's towers' mean scores, kept per run while its snapshot count stays the same (the slider asks often).
  const histories = new Map<string, { count: number; history: KernelView['history'] }>();
  const scoreHistory = (runId: string, snapshots: KernelSnapshotRow[], initial: Float32Array[] | undefined, shape: KernelShape): KernelView['history'] => {
    const kept = histories.get(runId);
    if (kept && kept.count === snapshots.length) return kept.history;
    const mean = (weights: Float32Array) => {
      const scores = kernelScores(weights, shape);
      return scores.reduce((a, b) => a + b, 0) / scores.length;
    };
    const history: KernelView['history'] = snapshots.map((s) => ({ epoch: s.epoch, step: s.step, scores: snapshotTowers(s).towers.map((t) => mean(t.weights)) }));
    // A run's own snapshots start after epoch 1; its initial towers (regenerated from its seed) are the epoch-0 point.
    if (initial && history[0]?.epoch !== 0) history.unshift({ epoch: 0, step: 0, scores: initial.map(mean) });
    histories.set(runId, { count: snapshots.length, history });
    return history;
  };

  const neighbourInfos = (runId: string, list: Neighbour[]): Promise<NeighbourInfo[]> => {
    const dataset = context.dataset(requireRun(log, runId).datasetId);
    return Promise.all(
      list.map(async (n) => ({ split: 'train' as const, index: n.index, path: n.path, label: n.label, distance: n.distance, thumbnail: await jpegDataUrl(datasetPixels({ dataset }, 'train', n.index), THUMBNAIL_SIZE, 75) })),
    );
  };

  return {
    'kernels:get': async ({ runId, snapshot }) => {
      const run = requireRun(log, runId);
      const snapshots = log.kernelSnapshots(runId);
      if (snapshots.length === 0) throw new ApiError('E_STATE', `Run '${runId}' has no kernel snapshots yet: one is stored at the end of every epoch.`);
      const index = snapshot ?? snapshots.length - 1;
      const chosen = snapshots[index];
      if (!chosen) throw new ApiError('E_BAD_REQUEST', `Snapshot ${index} does not exist; run '${runId}' has snapshots 0 to ${snapshots.length - 1}.`);
      const { shape, towers: weighed } = snapshotTowers(chosen);
      const towers: KernelTower[] = [];
      // Figure 3's baseline: the same towers at step 0 (regenerated from the run's settings and seed, or as imported).
      const initial = runInitialConv1(run, snapshots);
      for (const { tower, weights } of weighed) {
        const png = await kernelGridPng(weights, shape, GRID);
        const scores = kernelScores(weights, shape);
        const columns = Math.min(GRID.columns, shape[3]);
        const rows = Math.ceil(shape[3] / columns);
        towers.push({
          tower,
          image: pngDataUrl(png),
          width: columns * shape[1] * GRID.scale + (columns + 1) * GRID.padding,
          height: rows * shape[0] * GRID.scale + (rows + 1) * GRID.padding,
          columns,
          cell: shape[0] * GRID.scale,
          padding: GRID.padding,
          scores,
          score: scores.reduce((a, b) => a + b, 0) / scores.length,
        });
      }
      const view: KernelView = {
        snapshots: snapshots.map((s) => ({ epoch: s.epoch, step: s.step })),
        index,
        shape,
        towers,
        colour: colourBaseline(weighed.map((t, i) => ({ ...t, initial: initial?.[i] })), shape),
        colourNotes: { definition: COLOUR_DEFINITION, method: COLOUR_METHOD, rangeSds: RANDOM_RANGE_SDS },
        history: scoreHistory(runId, snapshots, initial, shape),
      };
      return view;
    },

    'lookup:query': async ({ runId, image, crops = 'centre', k = 6 }) => {
      const files = modelFiles(runId);
      const dataset = context.dataset(files.run.datasetId);
      let pixels: Uint8Array;
      let self = -1;
      let trueLabel: number | null = null;
      if (image.kind === 'bytes') {
        try {
          pixels = (await decodeImageBytes(Buffer.from(image.base64, 'base64'), image.name)).pixels;
        } catch (error) {
          if (error instanceof DecodeError) throw new ApiError('E_BAD_REQUEST', error.message);
          throw error;
        }
      } else {
        try {
          pixels = datasetPixels({ dataset }, image.split, image.index);
        } catch (error) {
          throw new ApiError('E_BAD_REQUEST', (error as Error).message);
        }
        if (image.split === 'train') self = image.index;
        trueLabel = dataset.entries(image.split)[image.index]!.label;
      }
      const answer = await context.compute.call('lookup', {
        checkpoint: files.checkpoint,
        datasetDir: files.datasetDir,
        featuresFile: featuresFile(runDirectory(context.workspace, runId)),
        pixels,
        self,
        crops,
        k,
      });
      const result: LookupResult = {
        query: await jpegDataUrl(pixels),
        crops,
        predictions: answer.predictions,
        byFeatures: answer.byFeatures === null ? null : await neighbourInfos(runId, answer.byFeatures),
        featureWidth: (files.run.config as { model: ModelConfig }).model.fcWidths[1],
        byPixels: await neighbourInfos(runId, answer.byPixels),
        trueLabel: trueLabel === null ? null : { label: dataset.labels[trueLabel]!, labelIndex: trueLabel },
      };
      return result;
    },

    'lookup:features': async ({ runId }) => {
      const files = modelFiles(runId);
      const runDir = runDirectory(context.workspace, runId);
      await context.compute.call('features', { checkpoint: files.checkpoint, datasetDir: files.datasetDir, runDir });
      return { images: readFeatureStore(featuresFile(runDir)).records.length };
    },

    'confusion:get': async ({ runId, crops }) => {
      // The checkpoint the evaluation uses (modelFiles and evaluation read it in the same tick: the same one).
      const checkpointPath = modelFiles(runId).checkpoint;
      const pending = evaluation(runId, crops);
      const used = log.checkpoints(runId).find((c) => c.path === checkpointPath);
      const answer = await pending;
      const dataset = context.dataset(requireRun(log, runId).datasetId);
      const view: ConfusionView = {
        crops,
        checkpoint: used ? { epoch: used.epoch, step: used.step } : null,
        labels: dataset.labels,
        matrix: answer.confusion,
        perClassAccuracy: answer.perClassAccuracy,
        top1Error: answer.top1Error,
        top5Error: answer.top5Error,
        count: answer.count,
      };
      return view;
    },

    'confusion:cancel': async ({ runId, crops }) => {
      requireRun(log, runId);
      const running = [...cancels].filter(([key]) => key.startsWith(`${runId}\n`) && key.endsWith(`\n${crops}`));
      for (const [, controller] of running) controller.abort();
      return { cancelled: running.length > 0 };
    },

    'confusion:cell': async ({ runId, crops, trueLabel, predictedLabel }) => {
      const answer = await evaluation(runId, crops);
      const classes = answer.confusion.length;
      if (trueLabel >= classes || predictedLabel >= classes) throw new ApiError('E_BAD_REQUEST', `Labels run from 0 to ${classes - 1}; got true ${trueLabel}, predicted ${predictedLabel}.`);
      const dataset = context.dataset(requireRun(log, runId).datasetId);
      const test = dataset.entries('test');
      const indices: number[] = [];
      for (let i = 0; i < answer.labels.length; i++) if (answer.labels[i] === trueLabel && answer.predicted[i] === predictedLabel) indices.push(i);
      indices.sort((a, b) => answer.confidence[b]! - answer.confidence[a]!);
      return Promise.all(
        indices.slice(0, CELL_LIMIT).map(async (index): Promise<CellImage> => ({
          split: 'test',
          index,
          path: test[index]!.path,
          confidence: answer.confidence[index]!,
          thumbnail: await jpegDataUrl(datasetPixels({ dataset }, 'test', index), THUMBNAIL_SIZE, 75),
        })),
      );
    },
  };
}
