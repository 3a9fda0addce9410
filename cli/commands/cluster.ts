// `alexnet cluster-job` and `alexnet import-job`: hand a training run to PyTorch DistributedDataParallel on any
// machines that run torchrun, and bring the trained weights back as a run.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { JobError, importClusterJob } from '../../core/cluster/import-job';
import { newJobId, worldSizes, writeClusterJob } from '../../core/cluster/job';
import { storeTrainingFeatures } from '../../core/compute/features';
import { loadRun } from '../../core/workbench/run-files';
import { runSettings } from '../../core/workbench/training';
import { codeVersion } from '../../core/version';
import { runDirectory } from '../../core/workspace';
import type { Context, WithContext } from '../context';
import { CliError, EXIT, importRefusal, usageError } from '../errors';
import { resolveDataset } from '../resolve';
import { trainingOptions, trainingRequest } from './training-options';
import { counted } from '../../core/words';

export function registerClusterCommands(program: Command, withContext: WithContext): void {
  trainingOptions(
    program
      .command('cluster-job')
      .description('write a self-contained job folder that trains this model and recipe with PyTorch DDP under torchrun (one machine, several, or Slurm)')
      .argument('<dataset>', 'dataset id (see `alexnet datasets`) or a folder of class folders'),
  )
    .option('--out <folder>', 'the new job folder (default: <home>/jobs/<job id>)')
    .action(
      withContext(async (context: Context, datasetReference: string, options: Record<string, unknown>) => {
        // Checked before the dataset is opened (or a folder imported): a job is written into a new or empty folder.
        if (typeof options.out === 'string' && fs.existsSync(options.out)) {
          if (!fs.statSync(options.out).isDirectory()) throw usageError(`--out '${options.out}' is a file; expected a folder for the job (it is made if missing).`);
          if (fs.readdirSync(options.out).length > 0) throw usageError(`--out '${options.out}' is a folder that is not empty; a job is written into a new or empty folder.`);
        }
        const dataset = await resolveDataset(context, datasetReference).catch((error: unknown) => {
          throw importRefusal(error);
        });
        try {
          const request = trainingRequest(dataset, datasetReference, options);
          let settings;
          try {
            settings = runSettings(request);
          } catch (error) {
            throw usageError((error as Error).message);
          }
          const id = newJobId();
          const folder = path.resolve(typeof options.out === 'string' ? options.out : path.join(context.workspace.home, 'jobs', id));
          const job = writeClusterJob({ id, dataset, ...settings, seed: request.seed, workbench: codeVersion(), folder });
          const r = job.recipe;
          if (context.json) {
            process.stdout.write(`${JSON.stringify({ job: job.id, folder, batchSize: r.batchSize, epochs: r.epochs, processes: worldSizes(r.batchSize) })}\n`);
          } else {
            context.say(`job ${job.id} in ${folder}`);
            context.say(`  ${job.model.preset} preset, ${r.name} recipe, batch ${r.batchSize}, ${counted(r.epochs, 'epoch')}, seed ${job.seed}; ${job.dataset.train} training and ${job.dataset.test} test images`);
            context.say(`  train it:   cd ${folder} && torchrun --standalone --nproc_per_node=2 --max_restarts=3 train_ddp.py`);
            context.say(`              (the number of processes must divide the batch of ${r.batchSize}; README.md there has several machines and Slurm)`);
            context.say(`  then:       alexnet import-job ${folder}`);
          }
          return EXIT.ok;
        } finally {
          dataset.close();
        }
      }),
    );

  program
    .command('import-job')
    .description('create a run from a finished cluster job: its weights, metrics and configuration, then its fc7 features')
    .argument('<folder>', 'the job folder that alexnet cluster-job wrote and torchrun trained')
    .action(
      withContext(async (context: Context, folder: string) => {
        let imported;
        try {
          imported = importClusterJob(context.workspace, context.log, folder, codeVersion());
        } catch (error) {
          if (error instanceof JobError) throw new CliError(error.message, EXIT.notFound);
          throw error;
        }
        const { run } = imported;
        context.say(`run ${run.id}: ${counted(run.epochsDone, 'epoch')} ${run.backend}, best test top-1 error ${run.bestTop1Error === null ? '-' : `${(run.bestTop1Error * 100).toFixed(1)} %`}`);
        // The neighbours of Figure 4 need every training image's fc7 features, which the workbench computes itself.
        await context.backend();
        const loaded = loadRun(context.log, run.id);
        let features: string;
        try {
          features = await storeTrainingFeatures(loaded.model, loaded.dataset, runDirectory(context.workspace, run.id), loaded.recipe.inputScale);
        } finally {
          loaded.dispose();
        }
        context.say(`  fc7 features of the training images in ${features}`);
        if (context.json) {
          process.stdout.write(`${JSON.stringify({ run: run.id, job: imported.job.id, checkpoint: imported.checkpoint, epochs: run.epochsDone, backend: run.backend, bestTop1Error: run.bestTop1Error, pytorchTop1Error: imported.pytorchTop1Error, features })}\n`);
        }
        return EXIT.ok;
      }),
    );
}
