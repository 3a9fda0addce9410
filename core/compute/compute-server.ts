// The compute side: answers a host's calls (protocol.ts) with the engine, on whatever backend this context has, and
// streams training events back. It runs in a Node child process (the browser host), in the desktop app's hidden
// compute window on Chromium's WebGPU, or in-process in tests; the code is the same.
import fs from 'node:fs';
import { serializeError } from '../api/contract';
import { gpuLost, selectBackend, type BackendInfo, type BackendRequest } from '../backend/backend';
import { evaluate } from '../evaluate/evaluate';
import { probeTraining } from '../train/probe';
import { exportCheckpoint } from './export-checkpoint';
import { storeTrainingFeatures } from './features';
import { neighbours, pixelNeighbours, predict } from './lookup';
import { loadModel, type LoadedModel } from './run-model';
import { launchTraining, type RunningJob, type TrainJob } from './training-job';
import type { CallMessage, CancelMessage, ComputeMethod, ComputeMethods, Endpoint, EvaluateAnswer, EvaluateJob, LookupJob, ModelFiles, ProgressMessage } from './protocol';

/** Loaded models kept for the next look-up (a model of the paper's size is about 250 MB on the GPU). */
const MODELS_KEPT = 2;

/** What a method may use of its call besides its arguments: report progress, and see whether it was cancelled. */
interface Call {
  progress(done: number, total: number): void;
  signal: AbortSignal;
}
type Implementation = { [M in ComputeMethod]: (args: ComputeMethods[M]['args'], call: Call) => Promise<ComputeMethods[M]['result']> };

export class ComputeServer {
  private backendInfo: Promise<BackendInfo> | undefined;
  private lost = false;
  private readonly jobs = new Map<string, RunningJob>();
  private readonly models = new Map<string, { loaded: LoadedModel; users: number }>();

  /**
   * `onDeviceLost` is called once the GPU device is lost, after the answer that reported it: the host's next call then
   * starts a fresh compute side with a new device (a child process exits; the desktop's compute window closes).
   */
  constructor(
    private readonly endpoint: Endpoint,
    private readonly onDeviceLost: () => void = () => {},
    /** A backend this process has started already (a host that computes in-process); else the first call starts one. */
    started?: Promise<BackendInfo>,
  ) {
    this.backendInfo = started;
    endpoint.onMessage((message) => {
      if (typeof message === 'object' && message !== null && 'cancel' in message) this.calls.get((message as CancelMessage).cancel)?.abort();
      else void this.answer(message as CallMessage);
    });
  }

  private readonly methods: Implementation = {
    backend: ({ request }) => this.backend(request),
    train: (job) => this.train(job),
    control: async ({ runId, action }) => {
      const job = this.jobs.get(runId);
      if (!job) return false;
      if (action === 'pause') job.trainer.pause();
      else if (action === 'resume') job.trainer.resume();
      else if (action === 'stop') job.trainer.stop();
      else job.trainer.divideLearningRate();
      return true;
    },
    evaluate: (job, call) => this.withModel(job, (loaded) => evaluateSplit(loaded, job, call)),
    lookup: (job) => this.withModel(job, (loaded) => lookUp(loaded, job)),
    export: async ({ checkpoint, datasetDir, out, run }) => exportCheckpoint(checkpoint, datasetDir, out, run),
    probe: async (request) => {
      const [training] = this.jobs.keys();
      if (training !== undefined) throw new Error(`Run '${training}' is training on this backend now; a probe beside it would measure both. Estimate again when it has finished.`);
      return probeTraining(request);
    },
    features: (job) => this.withModel(job, async (loaded) => ({ file: await storeTrainingFeatures(loaded.model, loaded.dataset, job.runDir, loaded.recipe.inputScale) })),
  };

  /** Calls in progress, by id: what a CancelMessage aborts. */
  private readonly calls = new Map<number, AbortController>();

  private async answer(message: CallMessage): Promise<void> {
    const { id, method, args } = message;
    const controller = new AbortController();
    this.calls.set(id, controller);
    const call: Call = { progress: (done, total) => this.endpoint.post({ id, progress: { done, total } } satisfies ProgressMessage), signal: controller.signal };
    try {
      const implementation = this.methods[method] as ((args: unknown, call: Call) => Promise<unknown>) | undefined;
      if (!implementation) throw new Error(`The compute side has no method '${String(method)}'.`);
      if (method !== 'backend') await this.backend();
      this.endpoint.post({ id, ok: true, result: await implementation(args, call) });
    } catch (error) {
      this.endpoint.post({ id, ok: false, error: serializeError(error) });
    } finally {
      this.calls.delete(id);
    }
    if (gpuLost() && !this.lost) {
      this.lost = true;
      this.onDeviceLost();
    }
  }

  private backend(request: BackendRequest = 'auto'): Promise<BackendInfo> {
    this.backendInfo ??= selectBackend(request);
    return this.backendInfo;
  }

  private async train(job: TrainJob): Promise<ComputeMethods['train']['result']> {
    if (this.jobs.has(job.runId)) throw new Error(`Run '${job.runId}' is already training.`);
    const backend = await this.backend();
    // The trainer knows the backend's name only; the host records the device it ran on too.
    const running = launchTraining(job, (event) =>
      this.endpoint.post({ runId: job.runId, event: event.type === 'started' ? { ...event, backend: backend.name, device: backend.device } : event }),
    );
    this.jobs.set(job.runId, running);
    try {
      return await running.done;
    } finally {
      this.jobs.delete(job.runId);
    }
  }

  /** Runs `body` with the model of a checkpoint, loading it once and keeping the most recent few. */
  private async withModel<T>(files: ModelFiles, body: (loaded: LoadedModel) => Promise<T>): Promise<T> {
    const key = `${files.checkpoint}\n${files.datasetDir}`;
    let entry = this.models.get(key);
    if (entry) this.models.delete(key);
    else entry = { loaded: loadModel(files.checkpoint, files.datasetDir), users: 0 };
    this.models.set(key, entry); // newest last
    entry.users++;
    try {
      return await body(entry.loaded);
    } finally {
      entry.users--;
      this.evict();
    }
  }

  private evict(): void {
    for (const [key, entry] of this.models) {
      if (this.models.size <= MODELS_KEPT) break;
      if (entry.users > 0) continue;
      entry.loaded.dispose();
      this.models.delete(key);
    }
  }

  /** Stops every job (each writes its checkpoint) and frees the models. */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.trainer.stop();
    await Promise.allSettled([...this.jobs.values()].map((job) => job.done));
    for (const entry of this.models.values()) entry.loaded.dispose();
    this.models.clear();
  }
}

async function evaluateSplit(loaded: LoadedModel, job: EvaluateJob, call: Call): Promise<EvaluateAnswer> {
  const entries = loaded.dataset.entries(job.split);
  if (entries.length === 0) throw new Error(`The ${job.split} split of dataset '${loaded.dataset.manifest.name}' is empty.`);
  const result = await evaluate(loaded.model, loaded.source, entries, loaded.transform, { crops: job.crops, onProgress: call.progress, signal: call.signal });
  const classes = loaded.model.config.classes;
  const labels = Int32Array.from(entries.map((e) => e.label));
  const predicted = new Int32Array(entries.length).fill(-1); // -1: damaged in the cache, left out
  const confidence = new Float32Array(entries.length);
  const damaged = new Set(result.damaged);
  for (let i = 0; i < entries.length; i++) {
    if (damaged.has(i)) continue;
    let best = 0;
    for (let c = 1; c < classes; c++) if (result.probabilities[i * classes + c]! > result.probabilities[i * classes + best]!) best = c;
    predicted[i] = best;
    confidence[i] = result.probabilities[i * classes + best]!;
  }
  return {
    crops: result.crops,
    count: result.count,
    top1Error: result.top1Error,
    top5Error: result.top5Error,
    loss: result.loss,
    perClassAccuracy: result.perClassAccuracy,
    confusion: result.confusion,
    labels,
    predicted,
    confidence,
  };
}

async function lookUp(loaded: LoadedModel, job: LookupJob): Promise<ComputeMethods['lookup']['result']> {
  const predictions = await predict(loaded, job.pixels, job.crops, 5);
  // Predictions need only the checkpoint; a run without stored features still shows them, and its pixel neighbours.
  if (!fs.existsSync(job.featuresFile)) return { predictions, byFeatures: null, byPixels: pixelNeighbours(loaded, job.pixels, job.k, job.self) };
  const near = await neighbours(loaded, job.featuresFile, job.pixels, job.k, job.self);
  return { predictions, ...near };
}
