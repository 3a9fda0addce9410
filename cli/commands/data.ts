// `alexnet import`, `alexnet datasets`, `alexnet runs` and `alexnet metrics`: data in, history out.
import fs from 'node:fs';
import type { Command } from 'commander';
import { currentReport, datasetWarnings } from '../../core/dataset/import-report';
import type { ImportReport } from '../../core/dataset/types';
import { deleteDataset, deletionRefusal, renameDatasetRecord } from '../../core/workbench/dataset-records';
import type { Context, WithContext } from '../context';
import { MIN_CLASSES } from '../../core/model/config';
import { CliError, EXIT, importRefusal, integerOption, notFound, numberOption, choiceOption, relativePathsOption, textOption } from '../errors';
import { importWithProgress, resolveRun } from '../resolve';
import { counted } from '../../core/words';
import { LIMITS } from '../../core/vocabulary';

const count = counted;

const DUPLICATE_WORDS = { files: 'identical files', pixels: 'identical pixels', near: 'near-identical pictures' } as const;

/** The import report in words: counts per class, skipped files and why, conversions, duplicates, leakage, warnings. */
export function describeReport(stored: ImportReport): string[] {
  const report = currentReport(stored);
  const lines: string[] = [];
  lines.push(`split: ${report.split.kind === 'folders' ? 'from train/ and test/ folders' : `seeded stratified, ${report.split.testFraction} held out, seed ${report.split.seed}`}`);
  const width = Math.max(5, ...report.counts.map((c) => c.label.length));
  lines.push(`${'class'.padEnd(width)}  train  test`);
  for (const c of report.counts) lines.push(`${c.label.padEnd(width)}  ${String(c.train).padStart(5)}  ${String(c.test).padStart(4)}`);
  if (report.emptyClasses.length > 0) lines.push(`empty class folders (left out): ${report.emptyClasses.join(', ')}`);
  if (report.skipped.length > 0) {
    lines.push(`skipped ${count(report.skipped.length, 'file')}:`);
    for (const s of report.skipped) lines.push(`  ${s.path}: ${s.reason} (${s.detail})`);
  }
  if (report.conversions.length > 0) {
    lines.push(`converted ${count(report.conversions.length, 'image')}:`);
    for (const c of report.conversions.slice(0, 20)) lines.push(`  ${c.path}: ${c.detail}`);
    if (report.conversions.length > 20) lines.push(`  ... and ${report.conversions.length - 20} more (see --json)`);
  }
  if (report.excluded.length > 0) lines.push(`left out at your request: ${count(report.excluded.length, 'file')} (${report.excluded.slice(0, 5).join(', ')}${report.excluded.length > 5 ? ', ...' : ''})`);
  for (const group of report.duplicates) {
    const classes = new Set(group.images.map((i) => i.className));
    lines.push(`${DUPLICATE_WORDS[group.kind]}${classes.size > 1 ? ` in ${classes.size} classes (label conflict)` : ''}: ${group.images.map((i) => i.path).join(', ')}`);
  }
  for (const [train, test] of report.leakage) lines.push(`the same picture is in train and test: ${train} and ${test}`);
  for (const warning of datasetWarnings(report)) lines.push(`warning: ${warning}`);
  return lines;
}

export function registerDataCommands(program: Command, withContext: WithContext): void {
  program
    .command('import')
    .description('import a folder of class folders: decode, convert, resize to 256x256, cache, and report')
    .argument('<folder>', 'a folder whose subfolders are classes (or that has train/ and test/ folders of classes)')
    .option('--test-fraction <f>', 'fraction of each class held out when there are no train/test folders', numberOption('Test fraction', 0, 0.9, true), 0.2)
    .option('--seed <n>', 'seed of the split', integerOption('Seed', LIMITS.seed.min, LIMITS.seed.max), 0)
    .option('--name <name>', 'a name for the dataset', textOption('Name', 200))
    .option('--leave-out <files...>', "files to leave out, relative to the folder (e.g. a label conflict's images); replaces an earlier import's list ('--leave-out none' clears it)", relativePathsOption('File to leave out'))
    .action(
      withContext(async (context: Context, folder: string, given: { testFraction: number; seed: number; name?: string; leaveOut?: string[] }) => {
        const { leaveOut, ...options } = given;
        const exclude = leaveOut === undefined ? undefined : leaveOut.length === 1 && leaveOut[0] === 'none' ? [] : leaveOut;
        if (!fs.existsSync(folder)) throw notFound(`Folder '${folder}' does not exist.`);
        if (!fs.statSync(folder).isDirectory()) throw notFound(`'${folder}' is a file; expected a folder of class folders.`);
        try {
          fs.accessSync(folder, fs.constants.R_OK | fs.constants.X_OK);
        } catch (error) {
          throw notFound(`Folder '${folder}' cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
        }
        const dataset = await importWithProgress(context, folder, exclude === undefined ? options : { ...options, exclude }).catch((error: unknown) => {
          throw importRefusal(error);
        });
        const m = dataset.manifest;
        if (context.json) process.stdout.write(`${JSON.stringify({ id: m.id, name: m.name, dir: dataset.dir, labels: m.labels, statistics: m.statistics, report: m.report })}\n`);
        else {
          context.say(`dataset ${m.id} (${count(m.labels.length, 'class', 'classes')})`);
          for (const line of describeReport(m.report)) context.say(line);
        }
        // Imported all the same (a second class folder may come later), but training will refuse it: say so now.
        if (m.labels.length < MIN_CLASSES) {
          context.warn(`notice: dataset '${m.name}' has ${count(m.labels.length, 'class', 'classes')} (${m.labels.map((l) => `'${l}'`).join(', ')}); it is imported, but training needs at least ${MIN_CLASSES} (one subfolder per class).`);
        }
        return 0;
      }),
    );

  const datasets = program.command('datasets').description('the imported datasets: list, rename or delete one');
  datasets
    .command('list', { isDefault: true })
    .description('list imported datasets')
    .action(
      withContext(async (context: Context) => {
        const rows = context.log.listDatasets();
        if (context.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
        else if (rows.length === 0) context.say("no datasets yet: 'alexnet import <folder>'");
        else for (const d of rows) context.say(`${d.id}  ${count(d.labels.length, 'class', 'classes')}  ${d.name}  ${d.source}`);
        return 0;
      }),
    );
  const datasetRow = (context: Context, id: string) => {
    const row = context.log.getDataset(id);
    if (!row) throw notFound(`There is no dataset '${id}'; 'alexnet datasets' lists them.`);
    return row;
  };
  datasets
    .command('rename')
    .description('give a dataset a new name')
    .argument('<dataset>', 'dataset id')
    .argument('<name>', 'the new name', textOption('Name', 200))
    .action(
      withContext(async (context: Context, id: string, name: string) => {
        const row = renameDatasetRecord(context.log, datasetRow(context, id), name);
        context.say(`dataset ${row.id} is now '${row.name}'`);
        return 0;
      }),
    );
  datasets
    .command('delete')
    .description('delete the imported copy of a dataset (the source folder is not touched); refused while runs use it')
    .argument('<dataset>', 'dataset id')
    .action(
      withContext(async (context: Context, id: string) => {
        const row = datasetRow(context, id);
        const refusal = deletionRefusal(context.log, row);
        if (refusal) throw new CliError(refusal, EXIT.usage);
        deleteDataset(context.log, row);
        context.say(`deleted dataset ${row.id} ('${row.name}'); its source folder ${row.source} is untouched`);
        return 0;
      }),
    );

  const runs = program.command('runs').description('the run history: list, or show one run');
  runs
    .command('list', { isDefault: true })
    .description('list runs, newest first')
    .action(
      withContext(async (context: Context) => {
        const rows = context.log.listRuns().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        if (context.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
        else if (rows.length === 0) context.say("no runs yet: 'alexnet train <dataset>'");
        else {
          for (const r of rows) {
            const best = r.bestTop1Error === null ? '   -   ' : `${(r.bestTop1Error * 100).toFixed(1).padStart(5)} %`;
            context.say(`${r.id}  ${r.status.padEnd(11)} ${r.preset.padEnd(5)} ${r.recipe.padEnd(10)} epochs ${r.epochsDone}/${r.epochsPlanned}  best top-1 ${best}  ${r.backend}  ${r.name}`);
          }
        }
        return 0;
      }),
    );
  runs
    .command('show')
    .description('one run: configuration, epochs, notices, checkpoints and evaluations')
    .argument('<run>', "run id, or 'last'")
    .action(
      withContext(async (context: Context, reference: string) => {
        const run = resolveRun(context, reference);
        const epochs = context.log.epochMetrics(run.id);
        const notices = context.log.notices(run.id);
        const checkpoints = context.log.checkpoints(run.id);
        const evaluations = context.log.evaluations(run.id);
        if (context.json) {
          process.stdout.write(`${JSON.stringify({ run, epochs, notices, checkpoints, evaluations })}\n`);
          return 0;
        }
        context.say(`${run.id}  ${run.name}`);
        context.say(`status ${run.status}${run.statusDetail ? `: ${run.statusDetail}` : ''}`);
        context.say(`preset ${run.preset}${run.preset === 'quick' ? " (not the paper's model)" : ''}, recipe ${run.recipe}, seed ${run.seed}, backend ${run.backend} (${run.device}), code ${run.codeVersion}`);
        context.say(`epoch  train loss  train top-1  test top-1  test top-5  learning rate`);
        for (const e of epochs) {
          context.say(`${String(e.epoch).padStart(5)}  ${e.trainLoss.toFixed(4).padStart(10)}  ${(e.trainTop1Error * 100).toFixed(1).padStart(9)} %  ${((e.validationTop1Error ?? NaN) * 100).toFixed(1).padStart(8)} %  ${((e.validationTop5Error ?? NaN) * 100).toFixed(1).padStart(8)} %  ${e.learningRate.toExponential(1)}`);
        }
        for (const n of notices) context.say(`${n.level}: ${n.message}`);
        for (const c of checkpoints) context.say(`checkpoint epoch ${c.epoch} step ${c.step}: ${c.path}`);
        for (const v of evaluations) context.say(`evaluation ${v.split} ${v.crops}: top-1 ${(v.top1Error * 100).toFixed(1)} %, top-5 ${(v.top5Error * 100).toFixed(1)} %`);
        return 0;
      }),
    );

  program
    .command('metrics')
    .description('export a run\'s per-step or per-epoch metrics as CSV or JSON')
    .argument('<run>', "run id, or 'last'")
    .option('--per <what>', 'epoch or step', choiceOption('Per', ['epoch', 'step'] as const), 'epoch')
    .option('--format <format>', 'csv or json', choiceOption('Format', ['csv', 'json'] as const), 'csv')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(
      withContext(async (context: Context, reference: string, options: { per: 'epoch' | 'step'; format: 'csv' | 'json'; out?: string }) => {
        const run = resolveRun(context, reference);
        const rows: Record<string, unknown>[] = (options.per === 'epoch' ? context.log.epochMetrics(run.id) : context.log.stepMetrics(run.id)) as unknown as Record<string, unknown>[];
        let text: string;
        if (options.format === 'json') text = `${JSON.stringify(rows)}\n`;
        else {
          const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
          text = [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
        }
        if (options.out) {
          try {
            fs.writeFileSync(options.out, text);
          } catch (error) {
            throw new CliError(`Cannot write '${options.out}': ${(error as Error).message}`, EXIT.notFound);
          }
          if (!context.json) context.warn(`wrote ${rows.length} rows to ${options.out}`);
        } else process.stdout.write(text);
        return 0;
      }),
    );
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
