// What every CLI command needs: the workspace, the run log, the backend, and how to print results.
import { selectBackend, type BackendInfo, type BackendRequest } from '../core/backend/backend';
import { isProcessAlive, RunLog } from '../core/runlog/run-log';
import { openWorkspace, type Workspace } from '../core/workspace';
import { CliError, EXIT } from './errors';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
  backend: BackendRequest;
  /** Threads of the CPU engine (1 to 64); unset: every core. */
  threads?: number;
}

export interface Context {
  workspace: Workspace;
  log: RunLog;
  json: boolean;
  /** Selects the backend on first use (commands that compute nothing never start a GPU). */
  backend(): Promise<BackendInfo>;
  /** Prints a human line to stdout, unless --json. */
  say(line: string): void;
  /** Prints a notice to stderr (always). */
  warn(line: string): void;
  close(): void;
}

/** The backend notice is printed once per process (the demo runs several commands in one). */
let announced = false;

export function openContext(options: GlobalOptions): Context {
  const workspace = openWorkspace(options.home);
  const log = RunLog.open(workspace.database);
  // Runs whose process died (crash, kill, power loss) show as interrupted and can be resumed.
  const interrupted = log.markInterruptedRuns(isProcessAlive);
  const json = Boolean(options.json);
  let backend: Promise<BackendInfo> | undefined;
  const context: Context = {
    workspace,
    log,
    json,
    backend() {
      backend ??= selectBackend(options.backend).then(
        (info) => {
          if (!announced) {
            if (info.notice) context.warn(`notice: ${info.notice}`);
            if (!json) process.stderr.write(`backend: ${info.name} on ${info.device}\n`);
            announced = true;
          }
          return info;
        },
        (error: Error) => {
          throw new CliError(error.message, EXIT.backend);
        },
      );
      return backend;
    },
    say(line) {
      if (!json) process.stdout.write(`${line}\n`);
    },
    warn(line) {
      process.stderr.write(`${line}\n`);
    },
    close() {
      log.close();
    },
  };
  for (const run of interrupted) context.warn(`notice: run ${run.id} was interrupted (its process ended); resume it with 'alexnet resume ${run.id}'.`);
  return context;
}

/** Wraps a command's action: opens the context, runs the action, closes the context, records the exit code. */
export type WithContext = (action: (context: Context, ...args: never[]) => Promise<number>) => (...args: unknown[]) => Promise<void>;
