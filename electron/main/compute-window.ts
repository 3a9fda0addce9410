// Starts the hidden compute window and connects to it with a MessagePort: the host's end of the compute protocol.
import { BrowserWindow, MessageChannelMain, protocol } from 'electron';
import type { Endpoint } from '../../core/compute/protocol';
import { computeWindowOptions } from './window-options';

/** The compute window's page: an empty document of a scheme Chromium treats as secure, since WebGPU needs one. */
export const COMPUTE_SCHEME = 'workbench-compute';
export const COMPUTE_URL = `${COMPUTE_SCHEME}://engine/`;
const COMPUTE_PAGE = "<!doctype html><meta charset=utf-8><meta http-equiv=Content-Security-Policy content=\"default-src 'none'\"><title>compute</title>";

/** Called before the app is ready: the scheme must be registered as secure and standard then. */
export function registerComputeScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: COMPUTE_SCHEME, privileges: { standard: true, secure: true } }]);
}

/** Called once the app is ready: serves the empty page. */
export function serveComputePage(): void {
  protocol.handle(COMPUTE_SCHEME, () => new Response(COMPUTE_PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }));
}

/** Opens a compute window with the given preload (electron/compute) and returns the host's end of its port. */
export function openComputeWindow(preload: string): Endpoint {
  const window = new BrowserWindow(computeWindowOptions(preload));
  const { port1, port2 } = new MessageChannelMain();
  const closeListeners: ((reason: string) => void)[] = [];
  let closed = false;
  const ended = (reason: string) => {
    if (closed) return;
    closed = true;
    port1.close();
    if (!window.isDestroyed()) window.destroy();
    for (const listener of closeListeners) listener(reason);
  };
  window.webContents.on('render-process-gone', (_event, details) => ended(`the compute window's process ended: ${details.reason}, exit code ${details.exitCode}`));
  window.on('closed', () => ended('the compute window was closed'));
  // Messages posted before the page takes its port wait in the port's queue.
  window.webContents.once('did-finish-load', () => window.webContents.postMessage('compute:port', null, [port2]));
  window.webContents.once('did-fail-load', (_event, code, description) => ended(`the compute page failed to load (${code} ${description})`));
  void window.loadURL(COMPUTE_URL);
  port1.start();
  return {
    post(message) {
      if (!closed) port1.postMessage(message);
    },
    onMessage(listener) {
      port1.on('message', (event) => listener(event.data));
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    close() {
      ended('closed by the app');
    },
  };
}
