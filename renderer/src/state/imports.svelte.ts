// Imports in progress and just finished, from 'import:progress' and 'import:finished', whoever started them.
import type { HostEvent, RequestOf, SkippedFileInfo } from '../../../core/api/contract';
import { invoke } from '../api-client';
import { datasets } from './datasets.svelte';

type Progress = Extract<HostEvent, { type: 'import:progress' }>;

export interface ImportJob {
  jobId: string;
  folder: string;
  progress: Progress | null;
  finished: boolean;
  datasetId: string | null;
  error: string | null;
  /** Files left out and why; for a failed import, what its scan found instead of images. */
  skipped: SkippedFileInfo[];
}

class Imports {
  /** Newest first. */
  jobs = $state<ImportJob[]>([]);

  /** Starts an import; throws the host's error (a refused path, a missing folder) for the form to show. */
  async start(request: RequestOf<'datasets:import'>): Promise<string> {
    const { jobId } = await invoke('datasets:import', request);
    this.job(jobId, request.folder);
    return jobId;
  }

  private job(jobId: string, folder: string): ImportJob {
    let job = this.jobs.find((j) => j.jobId === jobId);
    if (job === undefined) {
      this.jobs.unshift({ jobId, folder, progress: null, finished: false, datasetId: null, error: null, skipped: [] });
      job = this.jobs[0]!;
    }
    return job;
  }

  onProgress(event: Progress): void {
    this.job(event.jobId, event.folder).progress = event;
  }

  onFinished(event: Extract<HostEvent, { type: 'import:finished' }>): void {
    const job = this.job(event.jobId, event.folder);
    job.finished = true;
    job.datasetId = event.datasetId;
    job.error = event.error?.message ?? null;
    job.skipped = event.skipped ?? [];
    void datasets.refresh().then(() => {
      if (event.datasetId !== null) datasets.selectedId = event.datasetId;
    });
  }

  /** Imports still running (from the job state, which also knows imports this page did not see start). */
  get running(): ImportJob[] {
    return this.jobs.filter((j) => !j.finished);
  }
}

export const imports = new Imports();
