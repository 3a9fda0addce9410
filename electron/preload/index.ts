// The preload script: hands the page the API of the contract and nothing else (no ipcRenderer, no Node).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { Channel, EVENT_CHANNEL, HostApi, HostEvent, HostEventType, Reply, RequestArgs, ResponseOf } from '../../core/api/contract';

// A sandboxed preload can import only 'electron' at run time, so the contract's constant is repeated here,
// and checked against it by the type.
const eventChannel: typeof EVENT_CHANNEL = 'host:event';

const api = {
  invoke<C extends Channel>(channel: C, ...request: RequestArgs<C>): Promise<Reply<ResponseOf<C>>> {
    // Failures come back as data (Reply): an Error crossing the context bridge would lose its name and code.
    return ipcRenderer.invoke(channel, request[0]) as Promise<Reply<ResponseOf<C>>>;
  },
  on<T extends HostEventType>(type: T, listener: (event: Extract<HostEvent, { type: T }>) => void): () => void {
    // The page gets the event only, never Electron's IpcRendererEvent (it holds the sender).
    const forward = (_event: IpcRendererEvent, hostEvent: HostEvent): void => {
      if (hostEvent.type === type) listener(hostEvent as Extract<HostEvent, { type: T }>);
    };
    ipcRenderer.on(eventChannel, forward);
    return () => void ipcRenderer.removeListener(eventChannel, forward);
  },
} satisfies HostApi;

export type Api = typeof api;

contextBridge.exposeInMainWorld('api', api);
