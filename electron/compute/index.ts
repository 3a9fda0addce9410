// The hidden compute window's preload: runs the engine's compute side (core/compute) in this window, where
// Chromium's own WebGPU (navigator.gpu) is, and answers the main process over the port it sends.
import { ipcRenderer } from 'electron';
import { ComputeServer } from '../../core/compute/compute-server';
import type { Endpoint } from '../../core/compute/protocol';

ipcRenderer.once('compute:port', (event) => {
  const port = event.ports[0];
  if (!port) throw new Error('The compute window was sent no port.');
  const endpoint: Endpoint = {
    post: (message) => port.postMessage(message),
    onMessage: (listener) => {
      port.onmessage = (e: { data: unknown }) => listener(e.data);
    },
    onClose: () => {},
    close: () => port.close(),
  };
  // A lost GPU device cannot come back in this window: closing it makes main open a fresh one for the next call.
  new ComputeServer(endpoint, () => setTimeout(() => (globalThis as unknown as { close(): void }).close(), 100));
  port.start();
});
