// The cluster-job channels: write a job for a form's settings, and bring a finished one back as a run.
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/contract';
import { importClusterJob, JobError } from '../cluster/import-job';
import { newJobId, worldSizes, writeClusterJob } from '../cluster/job';
import { runModelFiles } from '../workbench/run-files';
import { runSettings } from '../workbench/training';
import { codeVersion } from '../version';
import { runDirectory } from '../workspace';
import type { ServiceContext } from './context';
import type { Handlers } from './dispatch';
import { PathPolicy } from './paths';
import { asBadRequest, trainingRequest } from './train-handlers';

type ClusterHandlers = Pick<Handlers, 'cluster:write' | 'cluster:import'>;

/** Where the jobs written from the app go: <home>/jobs/<job id>. */
export const jobsFolder = (home: string) => path.join(home, 'jobs');

export function clusterHandlers(context: ServiceContext): ClusterHandlers {
  const { log, workspace } = context;
  /** The real path of a job folder: one the app wrote (the workbench's own files), or one the host allows. */
  const jobFolder = (folder: string): string => {
    const own = jobsFolder(workspace.home);
    fs.mkdirSync(own, { recursive: true });
    try {
      return new PathPolicy([own]).check(folder, 'Job folder');
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'E_PATH_REFUSED') throw error;
      return context.paths.check(folder, 'Job folder');
    }
  };
  return {
    'cluster:write': async (request) => {
      const dataset = context.dataset(request.datasetId);
      const training = trainingRequest(dataset, request);
      const settings = asBadRequest(() => runSettings(training));
      const jobId = newJobId();
      const folder = path.join(jobsFolder(workspace.home), jobId);
      const job = asBadRequest(() => writeClusterJob({ id: jobId, dataset, ...settings, seed: training.seed, workbench: codeVersion(), folder }));
      const processes = worldSizes(job.recipe.batchSize);
      const world = processes.includes(2) ? 2 : 1;
      return { jobId, folder, command: `torchrun --standalone --nproc_per_node=${world} --max_restarts=3 train_ddp.py`, processes };
    },
    'cluster:import': async ({ folder }) => {
      const real = jobFolder(folder);
      let imported;
      try {
        imported = importClusterJob(workspace, log, real, codeVersion());
      } catch (error) {
        if (error instanceof JobError) throw new ApiError('E_BAD_REQUEST', error.message);
        throw error;
      }
      // The neighbours of Figure 4 need the training images' fc7 features, computed by the workbench's engine.
      const files = runModelFiles(log, imported.run.id);
      await context.compute.call('features', { checkpoint: files.checkpoint, datasetDir: files.datasetDir, runDir: runDirectory(workspace, imported.run.id) });
      return { runId: imported.run.id, pytorchTop1Error: imported.pytorchTop1Error };
    },
  };
}
