// The preload script: hands the page the API of the contract and nothing else (no ipcRenderer, no Node).
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { Channel, DESKTOP_CHANNELS, DesktopApi, EVENT_CHANNEL, HostApi, HostEvent, HostEventType, Reply, RequestArgs, ResponseOf } from '../../core/api/contract';

// A sandboxed preload can import only 'electron' at run time, so the contract's constants are repeated here, and
// checked against it by their types.
const eventChannel: typeof EVENT_CHANNEL = 'host:event';
const desktopChannels: typeof DESKTOP_CHANNELS = { chooseFolders: 'desktop:choose-folders', allowPaths: 'desktop:allow-paths', saveDownload: 'desktop:save-download' };

const desktop = {
  chooseFolders(): Promise<Reply<string[]>> {
    return ipcRenderer.invoke(desktopChannels.chooseFolders) as Promise<Reply<string[]>>;
  },
  droppedPaths(files: readonly unknown[]): Promise<Reply<string[]>> {
    // Only File objects of a real drop have a path; anything else is passed over.
    const paths: string[] = [];
    for (const file of files) {
      try {
        const p = webUtils.getPathForFile(file as File);
        if (p) paths.push(p);
      } catch {
        // Not a File: nothing to allow.
      }
    }
    return ipcRenderer.invoke(desktopChannels.allowPaths, paths) as Promise<Reply<string[]>>;
  },
  saveDownload(ticket: string): Promise<Reply<string | null>> {
    return ipcRenderer.invoke(desktopChannels.saveDownload, ticket) as Promise<Reply<string | null>>;
  },
} satisfies DesktopApi;

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
  desktop,
} satisfies HostApi;

export type Api = typeof api;

contextBridge.exposeInMainWorld('api', api);
