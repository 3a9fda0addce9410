// `alexnet export`: a trained run as an ONNX model and TensorFlow.js weights, with its labels and preprocessing.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Context, WithContext } from '../context';
import { notFound, usageError } from '../errors';
import { resolveRun } from '../resolve';

export function registerExportCommand(program: Command, withContext: WithContext): void {
  program
    .command('export')
    .description("write a run's newest model as ONNX (model.onnx) and TensorFlow.js weights (tfjs/), with labels and preprocessing")
    .argument('<run>', "run id, or 'last'")
    .option('--out <folder>', 'where to write (default: the run folder\'s export/)')
    .action(
      withContext(async (context: Context, reference: string, options: { out?: string }) => {
        if (options.out !== undefined && fs.existsSync(options.out) && !fs.statSync(options.out).isDirectory()) throw usageError(`--out '${options.out}' is a file; expected a folder.`);
        const run = resolveRun(context, reference);
        // Loaded here: the ONNX writer (protobuf) is needed by this command only.
        const { exportRun } = await import('../../core/workbench/export-run');
        let files;
        try {
          files = exportRun(context.workspace, context.log, run.id, options.out === undefined ? undefined : path.resolve(options.out));
        } catch (error) {
          if (/has no checkpoint yet/.test((error as Error).message)) throw notFound((error as Error).message);
          throw error;
        }
        if (context.json) process.stdout.write(`${JSON.stringify({ run: run.id, ...files })}\n`);
        else {
          if (run.preset === 'quick') context.say("(quick preset: not the paper's model)");
          context.say(`ONNX model: ${files.onnx}`);
          context.say(`TensorFlow.js weights: ${files.tfjsModel} and ${files.tfjsWeights}`);
          context.say('Each holds the labels and how to prepare an image (resize to 256, centre crop, mean image).');
        }
        return 0;
      }),
    );
}
