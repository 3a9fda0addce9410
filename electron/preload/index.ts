// The preload script: exposes the typed API contract to the page, and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import type { Channel, Requests, SerializedError } from '../../core/api/contract';

const api = {
  async invoke<C extends Channel>(channel: C): Promise<Requests[C]['response']> {
    const result = (await ipcRenderer.invoke(channel)) as { ok: true; value: Requests[C]['response'] } | { ok: false; error: SerializedError };
    if (result.ok) return result.value;
    throw Object.assign(new Error(result.error.message), { name: result.error.name, code: result.error.code });
  },
};

export type Api = typeof api;
contextBridge.exposeInMainWorld('api', api);
