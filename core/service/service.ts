// The workbench service: every handler of the API contract over the engine, the job queue (one training run at a
// time), and the event stream. Electron's engine host and the browser host (`alexnet serve`) both serve it.
import type { BackendInfo, BackendRequest } from '../backend/backend';
import type { HostEvent, RunStatus } from '../api/contract';
import type { RunStatus as LoggedRunStatus } from '../runlog/run-log';
import type { Workspace } from '../workspace';
import type { Handlers } from './dispatch';
import type { PathPolicy } from './paths';

// The contract repeats the run log's statuses (it may import nothing); this fails to compile when they drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _runStatusesAgree: Same<RunStatus, LoggedRunStatus> = true;

export interface ServiceOptions {
  workspace: Workspace;
  host: 'electron' | 'browser';
  /** package.json's version. */
  version: string;
  /** process.versions.electron, or null. */
  electron: string | null;
  /** Which backend to start on first computation. */
  backend: BackendRequest;
  /** The folders path arguments must lie in. */
  paths: PathPolicy;
  /** The embedded demo dataset's folder, when installed. */
  demoDataset: string | null;
}

export interface Service {
  handlers: Handlers;
  /** Calls `listener` with every event; returns the function that stops it. */
  subscribe(listener: (event: HostEvent) => void): () => void;
  /** The backend, started on first use. */
  backend(): Promise<BackendInfo>;
  /** Stops a training run at its current step (with a checkpoint) and closes the run log. */
  close(): Promise<void>;
}

export declare function createService(options: ServiceOptions): Service;
