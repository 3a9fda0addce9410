// `alexnet train` and `alexnet resume`: run training with a live progress line, epoch lines and notices.
import type { Command } from 'commander';
import type { ControlAction } from '../../core/api/contract';
import type { TrainEvent } from '../../core/train/events';
import type { TrainResult } from '../../core/train/trainer';
import { resumeTraining, startTraining, type TrainingSession } from '../../core/service/local-training';
import { importedRunRefusal } from '../../core/workbench/training';
import type { Context, WithContext } from '../context';
import { CliError, EXIT, importRefusal, integerOption, textOption, usageError } from '../errors';
import { formatSeconds, progressLine } from '../progress';
import { resolveDataset, resolveRun } from '../resolve';
import { trainingOptions, trainingRequest } from './training-options';
import { counted } from '../../core/words';
import { describeLearningRateChange } from '../../core/train/schedule';
import { LIMITS } from '../../core/vocabulary';

export function registerTrainCommands(program: Command, withContext: WithContext): void {
  trainingOptions(
    program
      .command('train')
      .description("train the paper's AlexNet (or the quick preset) on an imported dataset or a folder")
      .argument('<dataset>', 'dataset id (see `alexnet datasets`) or a folder of class folders'),
  )
    .option('--max-steps <n>', 'stop (resumably) after this many steps', integerOption('Max steps', 1, 1e9))
    .option('--name <name>', 'a name for the run', textOption('Name', 200))
    .action(
      withContext(async (context: Context, datasetReference: string, options: Record<string, unknown>) => {
        const dataset = await resolveDataset(context, datasetReference).catch((error: unknown) => {
          throw importRefusal(error);
        });
        const request = trainingRequest(dataset, datasetReference, options);
        const backend = await context.backend();
        const session = startTraining(
          context.workspace,
          context.log,
          backend,
          {
            ...request,
            ...(options.name !== undefined ? { name: options.name as string } : {}),
            ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps as number } : {}),
          },
          printer(context),
        );
        context.say(`run ${session.runId}`);
        return follow(context, session);
      }),
    );

  program
    .command('resume')
    .description('continue a stopped or interrupted run from its newest checkpoint')
    .argument('<run>', "run id, or 'last'")
    .option('--epochs <n>', 'train up to this many epochs in total', integerOption('Epochs', LIMITS.epochs.min, LIMITS.epochs.max))
    .option('--max-steps <n>', 'stop (resumably) after this many steps in total', integerOption('Max steps', 1, 1e9))
    .action(
      withContext(async (context: Context, runReference: string, options: { epochs?: number; maxSteps?: number }) => {
        const run = resolveRun(context, runReference);
        if (!context.log.getDataset(run.datasetId)) throw new CliError(`The dataset '${run.datasetId}' of run '${run.id}' is not in the run log.`, EXIT.notFound);
        // What the run's state rules out is the caller's choice of run or epochs (exit 2), not an internal failure.
        if (run.status === 'completed' && (options.epochs === undefined || options.epochs <= run.epochsDone)) {
          throw usageError(
            `Run '${run.id}' has completed its ${counted(run.epochsDone, 'epoch')}${options.epochs === undefined ? '' : `, and --epochs ${options.epochs} is not more`}; resume it with --epochs ${run.epochsDone + 1} or more to train further.`,
          );
        }
        const imported = importedRunRefusal(run);
        if (imported) throw usageError(imported);
        if (run.status === 'running' || run.status === 'paused') throw usageError(`Run '${run.id}' is ${run.status} in process ${run.pid}; stop it there first.`);
        const backend = await context.backend();
        const session = resumeTraining(context.workspace, context.log, backend, run.id, options, printer(context));
        return follow(context, session);
      }),
    );
}

/** Waits for a run, turning Ctrl-C into a clean stop with a checkpoint. */
async function follow(context: Context, session: TrainingSession): Promise<number> {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    context.warn('\nstopping after this step and saving a checkpoint (Ctrl-C again to quit at once)');
    void steer('stop');
  };
  // Headless control of a running job: `kill -USR1 <pid>` divides the learning rate by 10 (section 5's manual
  // schedule); `kill -USR2 <pid>` pauses, and again resumes.
  let paused = false;
  // Steered as the app steers a run (the training queue's controls); a refusal (the run has just ended) is said.
  const steer = (action: ControlAction) => session.control(action).catch((error: unknown) => context.warn(`\n${(error as Error).message}`));
  const onDivide = () => void steer('divide-learning-rate');
  const onPause = () => {
    paused = !paused;
    void steer(paused ? 'pause' : 'resume');
    context.warn(paused ? '\npaused (send SIGUSR2 again to resume)' : '\nresumed');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR1', onDivide);
  process.on('SIGUSR2', onPause);
  let result: TrainResult;
  try {
    result = await session.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onDivide);
    process.off('SIGUSR2', onPause);
  }
  if (context.json) process.stdout.write(`${JSON.stringify({ type: 'result', runId: session.runId, ...result })}\n`);
  else context.say(`${result.outcome}: ${result.message}${result.bestTop1Error !== null ? ` Best validation top-1 error ${(result.bestTop1Error * 100).toFixed(1)} %.` : ''}`);
  if (interrupted) return EXIT.interrupted;
  return result.outcome === 'completed' ? EXIT.ok : EXIT.incomplete;
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Prints events: NDJSON with --json, otherwise a progress line per epoch and a summary line per epoch. */
function printer(context: Context): (event: TrainEvent) => void {
  let progress = progressLine('epoch 1', context.json, 'steps');
  let epochs = 0;
  // With 5 classes or fewer every label is among the top 5: top-5 error says nothing, so it is not printed.
  let classes = 0;
  return (event) => {
    if (context.json) {
      const printable = event.type === 'kernels' ? { ...event, towers: undefined } : event;
      process.stdout.write(`${JSON.stringify(printable)}\n`);
      return;
    }
    switch (event.type) {
      case 'started':
        epochs = event.recipe.epochs;
        classes = event.config.classes;
        context.say(
          `${event.config.preset === 'quick' ? "quick preset (NOT the paper's model: narrower, 115x115 crops)" : "the paper's two-tower AlexNet"}, ` +
            `recipe ${event.recipe.name}: ${event.recipe.description}`,
        );
        context.say(`${event.trainImages} training and ${event.testImages} test images, ${event.stepsPerEpoch} steps per epoch${event.resumedFrom ? `, resuming at epoch ${event.resumedFrom.epoch + 1} step ${event.resumedFrom.stepInEpoch}` : ''}`);
        context.say(`process ${process.pid}: Ctrl-C stops with a checkpoint; kill -USR1 ${process.pid} divides the learning rate by 10; kill -USR2 ${process.pid} pauses and resumes`);
        progress = progressLine(`epoch ${(event.resumedFrom?.epoch ?? 0) + 1}/${epochs}`, false, 'steps');
        break;
      case 'step':
        progress.update(event.stepInEpoch, event.stepsPerEpoch, `loss ${event.loss.toFixed(3)} ${event.imagesPerSecond.toFixed(1)} img/s run ETA ${formatSeconds(event.etaSeconds)}`);
        break;
      case 'epoch':
        progress.done();
        context.say(
          `epoch ${event.epoch}/${epochs}  train loss ${event.trainLoss.toFixed(3)}  train top-1 error ${percent(event.trainTop1Error)}  ` +
            `test top-1 error ${percent(event.validationTop1Error)}  ${classes > 5 ? `test top-5 error ${percent(event.validationTop5Error)}  ` : ''}lr ${event.learningRate.toExponential(0)}  ` +
            `${event.imagesPerSecond.toFixed(1)} img/s  ${event.seconds.toFixed(0)} s${event.learningRateDropped ? '  (learning rate divided by 10)' : ''}`,
        );
        progress = progressLine(`epoch ${event.epoch + 1}/${epochs}`, false, 'steps');
        break;
      case 'notice':
        progress.done();
        context.warn(`${event.level}: ${event.message}`);
        break;
      case 'learning-rate':
        progress.done();
        context.say(describeLearningRateChange(event));
        break;
      case 'paused':
        progress.done();
        context.say('paused');
        break;
      default:
        break;
    }
  };
}
