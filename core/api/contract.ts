// The one contract between the UI and the engine host: request channels, their payloads and results, and events.
// Electron's main process and the browser host implement it; the preload forwards it; the renderer imports types only.
import type { TrainEvent } from '../train/events';

export interface AppInfo {
  name: string;
  version: string;
  /** Where the host runs: 'electron' or 'browser'. */
  host: 'electron' | 'browser';
}

export interface RunSummary {
  id: string;
  name: string;
  status: string;
  preset: 'paper' | 'quick';
  epochsDone: number;
  epochsPlanned: number;
  bestTop1Error: number | null;
}

/** Every request channel: what it takes and what it answers. */
export interface Requests {
  'app:info': { request: void; response: AppInfo };
  'runs:list': { request: void; response: RunSummary[] };
  'datasets:list': { request: void; response: { id: string; name: string; classes: number }[] };
}

export type Channel = keyof Requests;
export const CHANNELS: Channel[] = ['app:info', 'runs:list', 'datasets:list'];

/** Events pushed from the host to the UI. */
export type HostEvent = { type: 'train'; runId: string; event: TrainEvent };

/** Errors cross the boundary as data and become Errors again on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}
