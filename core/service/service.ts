// The workbench service: every handler of the API contract over the engine, the training queue (one run at a time),
// imports, and the event stream. Electron's main process and the browser host (`alexnet serve`) both serve it; each
// gives it a compute side (a hidden window on Chromium's WebGPU, or a child process on Dawn or the CPU).
import type { BackendSummary, HostEvent, JobState } from '../api/contract';
import type { BackendInfo, BackendRequest } from '../backend/backend';
import { ComputeClient, type EndpointFactory } from '../workbench/compute-client';
import type { RunLog } from '../runlog/run-log';
import type { Workspace } from '../workspace';
import { ServiceContext } from './context';
import type { DownloadFile } from './downloads';
import { clusterHandlers } from './cluster-handlers';
import { datasetHandlers } from './dataset-handlers';
import type { Handlers } from './dispatch';
import { inspectHandlers } from './inspect-handlers';
import { limitInFlight } from './limits';
import { reportHandlers } from './report-handlers';
import type { PathPolicy } from './paths';
import { runHandlers } from './run-handlers';
import { trainHandlers } from './train-handlers';
import { TrainingQueue } from './training-queue';

export interface ServiceOptions {
  workspace: Workspace;
  /** The run log, opened on `workspace.database` (the service marks runs of dead processes interrupted). */
  log: RunLog;
  host: 'electron' | 'browser';
  /** package.json's version. */
  version: string;
  /** process.versions.electron, or null. */
  electron: string | null;
  /** Which backend the compute side starts. */
  backend: BackendRequest;
  /** Starts the compute side (called again after it died). */
  compute: EndpointFactory;
  /** The folders path arguments must lie in. */
  paths: PathPolicy;
  /** The embedded demo dataset's folder, when installed (it is allowed too). */
  demoDataset: string | null;
}

export interface Service {
  handlers: Handlers;
  /** Calls `listener` with every event; returns the function that stops it. */
  subscribe(listener: (event: HostEvent) => void): () => void;
  /** The compute side's backend, started on first use. */
  backend(): Promise<BackendInfo>;
  /** The file behind a download ticket a request handed out, or undefined (unknown, expired, or gone). */
  download(ticket: string): DownloadFile | undefined;
  /** Stops a training run at its current step (with a checkpoint), ends the compute side and closes the run log. */
  close(): Promise<void>;
}

export function createService(options: ServiceOptions): Service {
  const { workspace, log, paths } = options;
  log.markInterruptedRuns();
  if (options.demoDataset) paths.add(options.demoDataset);
  const compute = new ComputeClient(options.compute, options.backend);
  const context = new ServiceContext(workspace, log, compute, paths);
  let backendSummary: BackendSummary | null = null;
  const backend = () =>
    compute.backend().then((info) => {
      backendSummary = { name: info.name, device: info.device, notice: info.notice ?? null, accelerated: info.accelerated };
      return info;
    });

  const jobState = async (): Promise<JobState> => ({ ...queue.state(), imports: datasets.imports.list() });
  const jobsChanged = () => void jobState().then((state) => context.emit({ type: 'jobs:changed', state }));
  const queue = new TrainingQueue(context, jobsChanged);
  const datasets = datasetHandlers(context, jobsChanged);

  const handlers: Handlers = limitInFlight({
    'app:info': async () => ({
      name: 'AlexNet Workbench',
      version: options.version,
      host: options.host,
      electron: options.electron,
      backend: backendSummary,
      roots: paths.roots(),
      demoDataset: options.demoDataset,
    }),
    ...datasets.handlers,
    ...trainHandlers(context, queue, jobState),
    'jobs:state': jobState,
    ...runHandlers(context, queue),
    ...inspectHandlers(context),
    ...reportHandlers(context),
    ...clusterHandlers(context),
  });

  let closed: Promise<void> | undefined;
  return {
    handlers,
    subscribe: (listener) => context.subscribe(listener),
    backend,
    download: (ticket) => context.downloads.find(ticket),
    close() {
      closed ??= (async () => {
        await queue.close();
        compute.close();
        context.close();
        log.close();
      })();
      return closed;
    },
  };
}
