// Electron's main process: one sandboxed window and the API handlers. (The full desktop workbench is a later version.)
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { CHANNELS } from '../../core/api/contract';
import { createHandlers, dispatch } from './api-handlers';
import { CONTENT_SECURITY_POLICY, isAppUrl, windowOptions } from './window-options';

// Paths are relative to the bundle electron-vite writes, out/main/index.js. The preload is CommonJS because
// sandboxed preload scripts cannot be ES modules.
const preload = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
// electron-vite's dev server sets ELECTRON_RENDERER_URL; a packaged app always loads its own file.
const appUrl = (!app.isPackaged && process.env.ELECTRON_RENDERER_URL) || pathToFileURL(fileURLToPath(new URL('../renderer/index.html', import.meta.url))).href;

function createWindow(): void {
  const window = new BrowserWindow(windowOptions(preload));
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(appUrl);
}

// Every renderer is sandboxed, whatever its options say.
app.enableSandbox();

void app.whenReady().then(() => {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });

  const handlers = createHandlers({ version: app.getVersion(), electron: process.versions.electron });
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, request: unknown) => dispatch(handlers, channel, request, event.senderFrame?.url ?? null, appUrl));
  }

  createWindow();
  // macOS keeps the app running with no window; clicking the dock icon opens one again.
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
