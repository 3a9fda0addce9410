// The one contract between the UI and the engine host: request channels with their payloads and results, events, errors.
// Electron's main process (and later the browser host) implements it, the preload forwards it, the renderer imports
// its types only. It imports nothing, on purpose: the renderer type-checks this file under a DOM-only tsconfig, and
// one engine import would drag Node's and TensorFlow.js' types in with it.

/** The same set as RunStatus in core/runlog/run-log.ts; electron/main/api-handlers.ts checks that they agree. */
export type RunStatus = 'created' | 'running' | 'paused' | 'completed' | 'stopped' | 'interrupted' | 'failed' | 'diverged';

export interface AppInfo {
  name: string;
  version: string;
  /** Which host answers: Electron's main process, or the browser host of `alexnet serve` (a later version). */
  host: 'electron' | 'browser';
  /** Electron's version; null in the browser host. */
  electron: string | null;
}

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  preset: 'paper' | 'quick';
  epochsDone: number;
  epochsPlanned: number;
  /** Best validation top-1 error so far, 0 to 1; null before the first epoch ends. */
  bestTop1Error: number | null;
}

export interface DatasetSummary {
  id: string;
  name: string;
  classes: number;
  images: number;
}

/** Every request channel: what it takes (undefined: nothing) and what it answers. */
export interface Requests {
  'app:info': { request: undefined; response: AppInfo };
  'runs:list': { request: undefined; response: RunSummary[] };
  'datasets:list': { request: undefined; response: DatasetSummary[] };
}

export type Channel = keyof Requests;
export type RequestOf<C extends Channel> = Requests[C]['request'];
export type ResponseOf<C extends Channel> = Requests[C]['response'];
/** A channel that takes nothing is called as `invoke(channel)`. */
export type RequestArgs<C extends Channel> = undefined extends RequestOf<C> ? [request?: RequestOf<C>] : [request: RequestOf<C>];

/** Events the host pushes to the UI, all on one IPC channel. */
export type HostEvent =
  | { type: 'run:step'; runId: string; epoch: number; stepInEpoch: number; stepsPerEpoch: number; loss: number }
  | { type: 'run:finished'; runId: string; outcome: 'completed' | 'stopped' | 'diverged' | 'failed'; message: string }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; code: string; message: string };
export type HostEventType = HostEvent['type'];
export const EVENT_CHANNEL = 'host:event';

/** Codes of the errors the transport itself raises; engine errors bring their own codes. */
export type ErrorCode = 'E_BAD_REQUEST' | 'E_UNKNOWN_CHANNEL' | 'E_UNTRUSTED_SENDER' | 'E_NOT_IMPLEMENTED';

/** Errors cross the boundary as data and become Errors again on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

/** What a request channel answers on the wire. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** The API the page sees as `window.api`; the preload implements it (`satisfies HostApi`). */
export interface HostApi {
  invoke<C extends Channel>(channel: C, ...request: RequestArgs<C>): Promise<Reply<ResponseOf<C>>>;
  /** Calls `listener` for each event of this type; returns the function that stops it. */
  on<T extends HostEventType>(type: T, listener: (event: Extract<HostEvent, { type: T }>) => void): () => void;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

function quote(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function nothing(channel: Channel, value: unknown): undefined {
  if (value !== undefined) throw new ApiError('E_BAD_REQUEST', `'${channel}' takes no request; got ${quote(value)}.`);
  return undefined;
}

/** The schema of each channel's request: checks a value that came from the other process and returns it typed. */
export const REQUEST_PARSERS: { [C in Channel]: (channel: C, value: unknown) => RequestOf<C> } = {
  'app:info': nothing,
  'runs:list': nothing,
  'datasets:list': nothing,
};

export const CHANNELS = Object.keys(REQUEST_PARSERS) as Channel[];

export function parseChannel(value: unknown): Channel {
  if (typeof value === 'string' && Object.hasOwn(REQUEST_PARSERS, value)) return value as Channel;
  throw new ApiError('E_UNKNOWN_CHANNEL', `No request channel ${quote(value)}; use one of ${CHANNELS.join(', ')}.`);
}
