// The training channels: the form's options and defaults, start and resume (queued behind a running run), control.
import { ApiError, type AblationInfo, type Ablations, type BackendSummary, type JobState, type RecipeDefaults, type TrainEstimate, type TrainOptions, type TrainRequest } from '../api/contract';
import { estimateTraining, probeBatch } from '../train/estimate';
import type { ProbeMeasurement } from '../train/probe';
import type { Dataset } from '../dataset/dataset';
import type { BackendInfo } from '../backend/backend';
import { recipe as makeRecipe, RECIPE_NAMES } from '../train/recipe';
import { createRun, resumeJob, runSettings, type TrainingRequest } from '../workbench/training';
import { requireRun, type ServiceContext } from './context';
import type { Handlers } from './dispatch';
import { shownStatus } from './run-handlers';
import type { TrainingQueue } from './training-queue';

type TrainHandlers = Pick<Handlers, 'train:options' | 'train:start' | 'train:estimate' | 'train:resume' | 'train:control'>;

/** The paper's comparisons, each a switch with one line of explanation. */
export const ABLATIONS: AblationInfo[] = [
  { key: 'oneTower', label: 'One tower', section: '3.2', explanation: "One tower with half the kernels in every conv layer but conv5: the paper's one-GPU net." },
  { key: 'noLrn', label: 'No LRN', section: '3.3', explanation: 'No local response normalisation after conv1 and conv2.' },
  { key: 'nonOverlappingPooling', label: 'Non-overlapping pooling', section: '3.4', explanation: 'Max pooling 2x2 with stride 2 instead of the overlapping 3x3 with stride 2.' },
  { key: 'noDropout', label: 'No dropout', section: '4.2', explanation: 'No dropout on the outputs of fc6 and fc7.' },
  { key: 'noPcaNoise', label: 'No PCA colour noise', section: '4.1', explanation: 'No PCA colour noise on the training images (crops and reflections stay).' },
];

const PRESETS: TrainOptions['presets'] = [
  { id: 'paper', label: "The paper's AlexNet", description: 'Section 3 exactly: two towers, 96-256-384-384-256 kernels, fc 4096-4096, 227x227 crops of 256x256 images.' },
  {
    id: 'quick',
    label: "Quick (not the paper's model)",
    description: 'The same two-tower topology at a quarter of the width on 115x115 crops of 128x128 images, so that it trains in minutes on a CPU.',
  },
];

function summary(info: BackendInfo | undefined): TrainOptions['backend'] {
  return info ? backendSummary(info) : null;
}

function backendSummary(info: BackendInfo): BackendSummary {
  return { name: info.name, device: info.device, notice: info.notice ?? null, accelerated: info.accelerated };
}

/** The engine's request for a form's settings on a dataset. */
export function trainingRequest(dataset: Dataset, request: TrainRequest): TrainingRequest {
  const ablations: Ablations = request.ablations;
  return {
    dataset,
    preset: request.preset,
    recipe: request.recipe,
    overrides: {
      ...(request.epochs !== undefined ? { epochs: request.epochs } : {}),
      ...(request.batchSize !== undefined ? { batchSize: request.batchSize } : {}),
      ...(request.learningRate !== undefined ? { learningRate: request.learningRate } : {}),
      ...(request.patience !== undefined ? { patience: request.patience } : {}),
    },
    ablations,
    seed: request.seed,
    ...(request.name !== undefined ? { name: request.name } : {}),
  };
}

/** Bad settings from the engine's own checks become request errors that keep their message. */
export function asBadRequest<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('E_BAD_REQUEST', (error as Error).message);
  }
}

export function trainHandlers(context: ServiceContext, queue: TrainingQueue, jobState: () => Promise<JobState>): TrainHandlers {
  const { log, workspace, compute } = context;
  const backendOrUndefined = () => compute.backend().catch(() => undefined);
  // Probes measured in this session, by what they depend on (the model, the optimizer, the probe's batch): a change
  // of epochs, learning rate or dataset size needs no new one.
  const probes = new Map<string, Promise<ProbeMeasurement>>();
  return {
    'train:options': async () => {
      const defaults: RecipeDefaults[] = [];
      for (const preset of ['paper', 'quick'] as const) {
        for (const name of RECIPE_NAMES) {
          const r = makeRecipe(name, preset);
          defaults.push({ preset, recipe: name, description: r.description, epochs: r.epochs, batchSize: r.batchSize, learningRate: r.learningRate, patience: r.patience, optimizer: r.optimizer.name });
        }
      }
      return {
        presets: PRESETS,
        // The recipes in general; each preset's exact settings are in `defaults`.
        recipes: [
          {
            id: 'small-data',
            label: 'Small data (measured default)',
            description: "A departure from the paper, chosen by measurement: Adam instead of SGD, so that a small dataset learns at all (the paper's recipe stays at chance on a few thousand photos). The model is unchanged.",
          },
          { id: 'paper', label: "The paper's recipe (section 5)", description: "Section 5 exactly: SGD with momentum 0.9, weight decay 0.0005, learning rate 0.01 divided by 10 when the validation error stops improving. Meant for large datasets." },
        ],
        defaults,
        ablations: ABLATIONS,
        backend: summary(await backendOrUndefined()),
      };
    },
    'train:start': async (request) => {
      const dataset = context.dataset(request.datasetId);
      const backend = await compute.backend();
      const job = asBadRequest(() => createRun(workspace, log, backend, trainingRequest(dataset, request)));
      return { runId: job.runId, queued: queue.enqueue(job) };
    },
    'train:estimate': async (request) => {
      const dataset = context.dataset(request.datasetId);
      const { model: config, recipe } = asBadRequest(() => runSettings(trainingRequest(dataset, request)));
      const training = queue.state().active;
      if (training) throw new ApiError('E_BUSY', `Run '${training.runId}' is training now, and a probe beside it would measure both; estimate again when it has finished.`);
      const backend = await compute.backend();
      const trainImages = dataset.entries('train').length;
      const testImages = dataset.entries('test').length;
      const batch = Math.max(1, Math.min(probeBatch(recipe.batchSize, config.imageSize, backend.accelerated), trainImages));
      const key = JSON.stringify([backend.device, config, recipe.optimizer, recipe.initialisation, recipe.pcaNoise, batch]);
      let probe = probes.get(key);
      if (!probe) {
        probe = compute.call('probe', { config, recipe, batch, seconds: 1 });
        probes.set(key, probe);
        probe.catch(() => probes.delete(key));
      }
      const estimate = estimateTraining(await probe, { batchSize: recipe.batchSize, trainImages, testImages, epochs: recipe.epochs });
      const answer: TrainEstimate = { ...estimate, backend: backendSummary(backend), epochs: recipe.epochs, batchSize: recipe.batchSize, trainImages, testImages };
      return answer;
    },
    'train:resume': async ({ runId, epochs }) => {
      const run = requireRun(log, runId);
      if (queue.holds(runId)) throw new ApiError('E_BUSY', `Run '${runId}' is training or queued already.`);
      if (shownStatus(run, queue) === 'interrupted' && run.status !== 'interrupted') {
        log.updateRun(runId, { status: 'interrupted', statusDetail: 'It stopped without its end being recorded (the run log could not be written); it resumes from its last checkpoint.', pid: null });
      }
      const backend = await compute.backend();
      let job;
      try {
        job = resumeJob(workspace, log, backend, runId, epochs !== undefined ? { epochs } : {});
      } catch (error) {
        throw new ApiError('E_STATE', (error as Error).message);
      }
      return { runId, queued: queue.enqueue(job) };
    },
    'train:control': async ({ runId, action }) => {
      requireRun(log, runId);
      await queue.control(runId, action);
      return jobState();
    },
  };
}
