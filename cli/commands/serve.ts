// `alexnet serve`: the workbench's UI in a browser, for a GPU machine one doesn't sit at. Serves the built page and the
// API (the same handlers as the desktop app) until Ctrl-C, which stops a training run with a checkpoint first.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { forkCompute } from '../../core/workbench/node-compute';
import { PathPolicy } from '../../core/service/paths';
import { createService } from '../../core/service/service';
import { codeVersion } from '../../core/version';
import { startBrowserHost } from '../../server/browser-host';
import type { Context, GlobalOptions, WithContext } from '../context';
import { integerOption, notFound, usageError } from '../errors';
import { DEMO_DATASET } from './demo';

/** The page electron-vite (or `npm run build:renderer`) builds. */
export const PAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'out', 'renderer');

interface ServeOptions {
  host: string;
  port: number;
  allow?: string[];
  demo: boolean;
  open?: boolean;
}

/** Opens a URL in the desktop's browser where there is a desktop; says nothing when there is none. */
function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

export function registerServeCommand(program: Command, withContext: WithContext): void {
  program
    .command('serve')
    .description('serve the workbench UI to a browser (loopback only unless --host says otherwise; the URL carries an access token)')
    .option('--host <address>', 'address to listen on (0.0.0.0 for every interface: then anyone with the URL can reach it)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', integerOption('Port', 0, 65535), 8717)
    .option('--allow <folders...>', 'folders the UI may import from (the embedded demo dataset is always allowed)')
    .option('--no-demo', 'do not import the embedded demo dataset into an empty workspace')
    .option('--open', 'open the page in the default browser')
    .action(
      withContext(async (context: Context, options: ServeOptions) => {
        const paths = new PathPolicy();
        for (const folder of options.allow ?? []) {
          if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) throw notFound(`Folder '${folder}' given to --allow does not exist or is not a folder.`);
          paths.add(folder);
        }
        const global = program.opts<GlobalOptions>();
        const demo = fs.existsSync(DEMO_DATASET) ? DEMO_DATASET : null;
        const service = createService({
          workspace: context.workspace,
          log: context.log,
          host: 'browser',
          version: codeVersion(),
          electron: null,
          backend: global.backend,
          compute: forkCompute,
          paths,
          demoDataset: demo,
        });
        let host;
        try {
          host = await startBrowserHost({ service, pageDir: PAGE_DIR, host: options.host, port: options.port });
        } catch (error) {
          await service.close();
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE') throw notFound(`Port ${options.port} is in use; choose another with --port (0 picks a free one).`);
          // An address this machine does not have, a name that does not resolve, or a port below 1024 without the right.
          if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
            throw usageError(`Host '${options.host}' is not an address of this machine (${code}); use 127.0.0.1, 0.0.0.0 (every interface) or one of its own addresses.`);
          }
          if (code === 'EACCES') throw usageError(`Port ${options.port} may not be opened by this user (EACCES); use a port from 1024, or 0 for any free one.`);
          throw error;
        }
        const backend = await service.backend().catch((error: Error) => {
          context.warn(`error: ${error.message}`);
          return undefined;
        });
        if (backend) {
          if (backend.notice) context.warn(`notice: ${backend.notice}`);
          context.warn(`backend: ${backend.name} on ${backend.device}`);
        }
        if (demo && options.demo && context.log.listDatasets().length === 0) {
          await service.handlers['datasets:import']({ folder: demo });
          context.warn('importing the embedded demo dataset (six Caltech 101 classes)');
        }
        if (context.json) process.stdout.write(`${JSON.stringify({ url: host.url, port: host.port, roots: paths.roots() })}\n`);
        else {
          context.say(`AlexNet Workbench is at ${host.url}`);
          context.say(`(open that URL, token included; Ctrl-C stops the host and saves a checkpoint of a training run)`);
        }
        if (options.open) openInBrowser(host.url);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            context.warn('stopping: a training run saves a checkpoint first');
            resolve();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        await host.close();
        await service.close();
        return 0;
      }),
    );
}
