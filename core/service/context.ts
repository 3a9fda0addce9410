// What every part of the workbench service shares: the workspace and run log, the compute side, the path policy,
// the event stream, and the opened datasets.
import type { HostEvent } from '../api/contract';
import { ApiError } from '../api/contract';
import type { ComputeClient } from '../workbench/compute-client';
import { openDataset, type Dataset } from '../dataset/dataset';
import type { RunLog } from '../runlog/run-log';
import { Downloads } from './downloads';
import type { Workspace } from '../workspace';
import type { PathPolicy } from './paths';

export class ServiceContext {
  private readonly listeners = new Set<(event: HostEvent) => void>();
  private readonly datasets = new Map<string, { updatedAt: string; dataset: Dataset }>();
  /** Files the page may download, by ticket. */
  readonly downloads = new Downloads();

  constructor(
    readonly workspace: Workspace,
    readonly log: RunLog,
    readonly compute: ComputeClient,
    readonly paths: PathPolicy,
  ) {}

  emit(event: HostEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A transport that failed to deliver (a closed socket) must not stop the others or the engine.
        console.error(`An event listener failed on '${event.type}': ${(error as Error).message}`);
      }
    }
  }

  subscribe(listener: (event: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** An imported dataset by id, opened once and kept until it is imported again. */
  dataset(datasetId: string): Dataset {
    const row = this.log.getDataset(datasetId);
    if (!row) throw new ApiError('E_NOT_FOUND', `There is no dataset '${datasetId}'; import a folder first.`);
    const kept = this.datasets.get(datasetId);
    if (kept && kept.updatedAt === row.updatedAt) return kept.dataset;
    kept?.dataset.close();
    const dataset = openDataset(row.dir);
    this.datasets.set(datasetId, { updatedAt: row.updatedAt, dataset });
    return dataset;
  }

  /** Forgets an opened dataset (after a re-import replaced its files). */
  forgetDataset(datasetId: string): void {
    this.datasets.get(datasetId)?.dataset.close();
    this.datasets.delete(datasetId);
  }

  close(): void {
    for (const { dataset } of this.datasets.values()) dataset.close();
    this.datasets.clear();
    this.listeners.clear();
  }
}

/** A run by id, or E_NOT_FOUND. */
export function requireRun(log: RunLog, runId: string) {
  const run = log.getRun(runId);
  if (!run) throw new ApiError('E_NOT_FOUND', `There is no run '${runId}'.`);
  return run;
}
