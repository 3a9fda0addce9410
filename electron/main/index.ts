// Electron's main process: the app's lifecycle, its window and menu, the run log and the training queue (the shared
// workbench service), and the hidden compute window where the engine runs on Chromium's WebGPU.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron';
import { CONTENT_SECURITY_POLICY, DESKTOP_CHANNELS, EVENT_CHANNEL } from '../../core/api/contract';
import { CHANNELS } from '../../core/api/schemas';
import { BACKEND_REQUESTS, type BackendRequest } from '../../core/backend/backend';
import { RunLog } from '../../core/runlog/run-log';
import { PathPolicy } from '../../core/service/paths';
import { createService, type Service } from '../../core/service/service';
import { defaultHome, openWorkspace } from '../../core/workspace';
import { desktopRequest, dispatchFromPage, droppedFolders, parseDroppedPaths, saveDownload } from './api-handlers';
import { COMPUTE_URL, openComputeWindow, registerComputeScheme, serveComputePage } from './compute-window';
import { applicationMenu } from './menu';
import { denyPermissions, guardContents, isAppUrl, windowOptions } from './window-options';

// Paths are relative to the bundle electron-vite writes, out/main/index.js. The preloads are CommonJS because
// sandboxed preload scripts cannot be ES modules.
const preload = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const computePreload = fileURLToPath(new URL('../preload/compute.cjs', import.meta.url));
// electron-vite's dev server sets ELECTRON_RENDERER_URL; a packaged app always loads its own file.
const appUrl = (!app.isPackaged && process.env.ELECTRON_RENDERER_URL) || pathToFileURL(fileURLToPath(new URL('../renderer/index.html', import.meta.url))).href;

/** `--home <folder>`, `--allow <folder>` (repeatable) and `--backend <name>` on the app's command line, as for the CLI. */
function commandLine(argv: readonly string[]): { home: string; allow: string[]; backend: BackendRequest } {
  const allow: string[] = [];
  let home = defaultHome();
  let backend: BackendRequest = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--home' && value) home = path.resolve(value);
    else if (argv[i] === '--allow' && value) allow.push(path.resolve(value));
    else if (argv[i] === '--backend' && value && (BACKEND_REQUESTS as string[]).includes(value)) backend = value as BackendRequest;
    else continue;
    i++;
  }
  return { home, allow, backend };
}

const demoDataset = app.isPackaged ? path.join(process.resourcesPath, 'demo-dataset') : path.join(app.getAppPath(), 'resources', 'demo-dataset');

// Chromium on Linux offers WebGPU only behind this switch; only the compute window asks for an adapter.
if (process.platform === 'linux') app.commandLine.appendSwitch('enable-unsafe-webgpu');
registerComputeScheme();
// Every web contents, the app's window and the compute window and any other, stays on the app's own pages.
app.on('web-contents-created', (_event, contents) => guardContents(contents, (url) => isAppUrl(url, appUrl) || isAppUrl(url, COMPUTE_URL)));

let service: Service | undefined;
let mainWindow: BrowserWindow | undefined;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow(windowOptions(preload));
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
    // The hidden compute window stays open, so 'window-all-closed' never fires: closing the app's window quits
    // (except on macOS, where apps live on without windows).
    if (process.platform !== 'darwin') app.quit();
  });
  void window.loadURL(appUrl);
  mainWindow = window;
  return window;
}

async function chooseFolders(paths: PathPolicy, parent: BrowserWindow | undefined): Promise<string[]> {
  const options: Electron.OpenDialogOptions = { title: 'Import folders of class folders', properties: ['openDirectory', 'multiSelections'] };
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths.map((p) => paths.add(p));
}

function start(): void {
  const options = commandLine(process.argv.slice(1));
  const workspace = openWorkspace(options.home);
  const paths = new PathPolicy(options.allow.filter((p) => fs.existsSync(p)));
  const log = RunLog.open(workspace.database);
  const running = createService({
    workspace,
    log,
    host: 'electron',
    version: app.getVersion(),
    electron: process.versions.electron,
    backend: options.backend,
    compute: () => openComputeWindow(computePreload),
    paths,
    demoDataset: fs.existsSync(demoDataset) ? demoDataset : null,
  });
  service = running;
  running.subscribe((event) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(EVENT_CHANNEL, event);
  });

  const ses = session.defaultSession;
  denyPermissions(ses);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  serveComputePage();

  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, request: unknown) => dispatchFromPage(running.handlers, channel, request, event.senderFrame?.url ?? null, appUrl));
  }
  ipcMain.handle(DESKTOP_CHANNELS.chooseFolders, (event) =>
    desktopRequest(event.senderFrame?.url ?? null, appUrl, () => chooseFolders(paths, BrowserWindow.fromWebContents(event.sender) ?? undefined)),
  );
  ipcMain.handle(DESKTOP_CHANNELS.saveDownload, (event, ticket: unknown) =>
    desktopRequest(event.senderFrame?.url ?? null, appUrl, () =>
      saveDownload(running, ticket, async (name) => {
        const parent = BrowserWindow.fromWebContents(event.sender) ?? undefined;
        const options: Electron.SaveDialogOptions = { title: 'Save the exported model', defaultPath: path.join(app.getPath('downloads'), name) };
        const result = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
        return result.canceled ? undefined : result.filePath;
      }),
    ),
  );
  ipcMain.handle(DESKTOP_CHANNELS.allowPaths, (event, dropped: unknown) =>
    desktopRequest(event.senderFrame?.url ?? null, appUrl, async () => droppedFolders(parseDroppedPaths(dropped)).map((p) => paths.add(p))),
  );

  const report = (error: unknown) => dialog.showErrorBox('AlexNet Workbench', error instanceof Error ? error.message : String(error));
  const menu = applicationMenu(
    {
      importFolders: () =>
        void chooseFolders(paths, mainWindow)
          .then((folders) => Promise.all(folders.map((folder) => running.handlers['datasets:import']({ folder }))))
          .catch(report),
      control: (action) =>
        void running.handlers['jobs:state'](undefined)
          .then((state) => {
            if (!state.active) throw new Error('No run is training now.');
            return running.handlers['train:control']({ runId: state.active.runId, action });
          })
          .catch(report),
      openWorkspaceFolder: () => void shell.openPath(workspace.home),
    },
    !app.isPackaged,
  );
  Menu.setApplicationMenu(menu);
  createWindow();
}

void app.whenReady().then(() => {
  start();
  // macOS keeps the app running with no window; clicking the dock icon opens one again.
  app.on('activate', () => {
    if (!mainWindow) createWindow();
  });
});

// A training run stops at its current step with a checkpoint before the app goes.
let serviceClosed = false;
app.on('before-quit', (event) => {
  if (serviceClosed || !service) return;
  event.preventDefault();
  const closing = service;
  service = undefined;
  void closing.close().finally(() => {
    serviceClosed = true;
    app.quit();
  });
});
