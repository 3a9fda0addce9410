// Electron's main process: one secure window and the API handlers. (The full desktop workbench is a later version.)
import path from 'node:path';
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { CHANNELS, type AppInfo, type Channel, type SerializedError } from '../../core/api/contract';
import { CONTENT_SECURITY_POLICY, isTrustedSender, windowOptions } from './window-options';

const handlers: { [C in Channel]: () => Promise<unknown> } = {
  'app:info': async (): Promise<AppInfo> => ({ name: 'AlexNet Workbench', version: app.getVersion(), host: 'electron' }),
  'runs:list': async () => [],
  'datasets:list': async () => [],
};

function createWindow(): void {
  const window = new BrowserWindow(windowOptions(path.join(__dirname, '../preload/index.mjs')));
  const appUrl = process.env.ELECTRON_RENDERER_URL ?? `file://${path.join(__dirname, '../renderer/index.html')}`;
  window.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedSender(url, appUrl)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.once('ready-to-show', () => window.show());
  void window.loadURL(appUrl);
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (event) => {
      if (!event.senderFrame || !isTrustedSender(event.senderFrame.url, appUrl)) throw new Error('Refused: the request did not come from the app window.');
      try {
        return { ok: true, value: await handlers[channel]() };
      } catch (error) {
        const e = error as Error & { code?: string };
        const serialized: SerializedError = { name: e.name, message: e.message, ...(e.code ? { code: e.code } : {}) };
        return { ok: false, error: serialized };
      }
    });
  }
}

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  createWindow();
});

app.on('window-all-closed', () => app.quit());
