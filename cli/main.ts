// The `alexnet` command line: one command with subcommands over the engine in core/.
import { Command, CommanderError } from 'commander';
import { BACKEND_REQUESTS, THREADS_VARIABLE, type BackendRequest } from '../core/backend/backend';
import { MAX_THREADS } from '../core/cpu/engine';
import { systemFailure } from '../core/system-errors';
import { registerBenchCommand } from './commands/bench';
import { registerClusterCommands } from './commands/cluster';
import { registerDataCommands } from './commands/data';
import { registerDemoCommand } from './commands/demo';
import { registerExportCommand } from './commands/export';
import { registerReproduceCommand } from './commands/reproduce';
import { registerInspectCommands } from './commands/inspect';
import { registerServeCommand } from './commands/serve';
import { registerTrainCommands } from './commands/train';
import { openContext, type Context, type GlobalOptions, type WithContext } from './context';
import { choiceOption, CliError, EXIT, folderOption, integerOption } from './errors';

/** Every command of the CLI, on `program` (the tests build the same tree to read its options). */
export function registerCommands(program: Command, withContext: WithContext, run: (argv: string[]) => Promise<number>): void {
  registerDataCommands(program, withContext);
  registerTrainCommands(program, withContext);
  registerInspectCommands(program, withContext);
  registerBenchCommand(program, withContext);
  registerDemoCommand(program, withContext, run);
  registerServeCommand(program, withContext);
  registerExportCommand(program, withContext);
  registerReproduceCommand(program, withContext);
  registerClusterCommands(program, withContext);
}

/** Runs the CLI on argv (without 'node alexnet') and returns the exit code; never calls process.exit. */
export async function runCli(argv: string[]): Promise<number> {
  let exitCode = EXIT.ok as number;
  const program = new Command('alexnet')
    .description("AlexNet Workbench: train and look inside the two-tower AlexNet (Krizhevsky, Sutskever, Hinton 2012)")
    .option('--home <folder>', 'where datasets, runs and the run log live (default: $ALEXNET_HOME or ~/.alexnet-workbench)', folderOption('Home'))
    .option('--json', 'print machine-readable JSON (events as JSON lines while training)')
    .option('--backend <name>', `compute backend: ${BACKEND_REQUESTS.join(', ')}`, choiceOption('Backend', BACKEND_REQUESTS), 'auto' as BackendRequest)
    .option('--threads <n>', `threads of the CPU engine (default: every core, or $${THREADS_VARIABLE})`, integerOption('Threads', 1, MAX_THREADS))
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError('(add --help for usage)');

  const withContext =
    (action: (context: Context, ...args: never[]) => Promise<number>) =>
    async (...args: unknown[]): Promise<void> => {
      const options = program.opts<GlobalOptions>();
      // The CPU engine reads its thread count from the environment, so that the compute processes a host starts
      // (alexnet serve's) use the same.
      if (options.threads !== undefined) process.env[THREADS_VARIABLE] = String(options.threads);
      const context = openContext(options);
      try {
        // commander passes the positional arguments, then the options object, then the command.
        exitCode = await action(context, ...(args.slice(0, -1) as never[]));
      } finally {
        context.close();
      }
    };

  registerCommands(program, withContext, runCli);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    return reportError(error);
  }
  return exitCode;
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT.ok;
    // commander has printed its message already; argument parsers throw CliError, which lands here wrapped or bare.
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  const coded = error as { exitCode?: number; message?: string };
  if (typeof coded.exitCode === 'number') return coded.exitCode;
  const message = error instanceof Error ? error.message : String(error);
  // A full disk or a removed drive is the machine's failure, not a bug: its message says what happened and what to do.
  const system = systemFailure(error) ?? systemFailure((error as { cause?: unknown }).cause);
  if (system) {
    process.stderr.write(`error: ${message.includes(system) ? message : `${message} (${system})`}\n`);
    return EXIT.system;
  }
  process.stderr.write(`error: ${message}\n`);
  if (process.env.ALEXNET_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
  return EXIT.internal;
}

const isEntry = process.argv[1] !== undefined && /bin[\\/]alexnet(\.js)?$|cli[\\/]main\.ts$/.test(process.argv[1]);
if (isEntry) {
  const code = await runCli(process.argv.slice(2));
  // Dawn's device keeps the event loop alive; leave once the work is done and output is flushed.
  process.stdout.write('', () => process.exit(code));
}
