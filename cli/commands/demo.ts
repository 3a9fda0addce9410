// `alexnet demo`: the README's main job. Imports the embedded dataset (or a given folder), trains the quick preset
// end to end, evaluates it and looks inside, printing each result.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Context, WithContext } from '../context';
import { MIN_CLASSES } from '../../core/model/config';
import { importRefusal, integerOption, notFound, usageError } from '../errors';
import { resolveDataset } from '../resolve';

/** The embedded demo dataset: six Caltech 101 classes (CC BY 4.0), see its README. */
export const DEMO_DATASET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources', 'demo-dataset');

export function registerDemoCommand(program: Command, withContext: WithContext, run: (argv: string[]) => Promise<number>): void {
  program
    .command('demo')
    .description("import the embedded dataset (or a folder), train the quick preset, evaluate it and look inside")
    .argument('[folder]', 'a folder of class folders (default: the embedded six-class Caltech 101 subset)')
    .option('--epochs <n>', 'epochs to train', integerOption('Epochs', 1, 1000), 15)
    .action(
      withContext(async (context: Context, folder: string | undefined, options: { epochs: number }) => {
        const source = folder ?? DEMO_DATASET;
        if (folder !== undefined && !(fs.existsSync(folder) && fs.statSync(folder).isDirectory())) throw notFound(`Folder '${folder}' does not exist or is not a folder; expected a folder of class folders.`);
        if (!fs.existsSync(source)) throw new Error(`The demo dataset '${source}' is missing from this installation.`);
        const dataset = await resolveDataset(context, source).catch((error: unknown) => {
          throw importRefusal(error);
        });
        if (dataset.labels.length < MIN_CLASSES) {
          dataset.close();
          throw usageError(`Folder '${source}' has ${dataset.labels.length} class (${dataset.labels.map((l) => `'${l}'`).join(', ')}); the demo trains on ${MIN_CLASSES} or more classes (one subfolder per class).`);
        }
        const id = dataset.manifest.id;
        dataset.close();
        const global = [...(context.json ? ['--json'] : []), '--home', context.workspace.home];
        const step = async (title: string, argv: string[]) => {
          context.say(`\n== ${title}: alexnet ${argv.join(' ')}`);
          const code = await run([...global, ...argv]);
          if (code !== 0) throw Object.assign(new Error(`'alexnet ${argv.join(' ')}' failed with exit code ${code}.`), { exitCode: code });
        };
        await step('train the quick preset (not the paper\'s model; small-data recipe)', ['train', id, '--preset', 'quick', '--epochs', String(options.epochs), '--name', 'demo']);
        await step('evaluate with the centre crop', ['evaluate', 'last']);
        await step('evaluate with ten crops', ['evaluate', 'last', '--crops', 'ten']);
        await step('top-5 for a test image', ['predict', 'last', 'test:0']);
        await step('nearest training images', ['neighbours', 'last', 'test:0']);
        await step("conv1's kernels per tower", ['kernels', 'last']);
        context.say(`\nDone. See the history with 'alexnet runs' and one run with 'alexnet runs show last'.`);
        return 0;
      }),
    );
}
