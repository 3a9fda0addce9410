// The host's side of the compute protocol: calls methods, routes training events, and survives the compute side's
// death (a crash, a lost GPU): pending calls fail with a clear error and the next call starts a fresh compute side.
import { ApiError, type SerializedError } from '../api/contract';
import type { BackendInfo, BackendRequest } from '../backend/backend';
import type { TrainEvent } from '../train/events';
import type { CancelMessage, ComputeMethod, ComputeMethods, Endpoint, EventMessage, ProgressMessage, ReplyMessage } from '../compute/protocol';

/** Starts a compute side and returns the host's end of its channel. */
export type EndpointFactory = () => Endpoint;

interface Pending {
  method: ComputeMethod;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress: ((done: number, total: number) => void) | undefined;
}

/** What a caller may add to a call: progress reports, and a signal that cancels it on the compute side. */
export interface CallOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** An error that crossed the channel as data, made an Error again with its name and code. */
function revive(data: SerializedError): Error {
  const error = new Error(data.message) as Error & { code?: string; path?: string };
  error.name = data.name;
  if (data.code !== undefined) error.code = data.code;
  if (data.path !== undefined) error.path = data.path;
  return error;
}

export class ComputeClient {
  private endpoint: Endpoint | undefined;
  private backendInfo: Promise<BackendInfo> | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(runId: string, event: TrainEvent) => void>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly start: EndpointFactory,
    private readonly backendRequest: BackendRequest,
  ) {}

  /** Calls `listener` with every training event; returns the function that stops it. */
  onEvent(listener: (runId: string, event: TrainEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The backend of the compute side, started on first use. */
  backend(): Promise<BackendInfo> {
    this.backendInfo ??= this.send('backend', { request: this.backendRequest });
    return this.backendInfo;
  }

  /** Calls a method, after the backend has started (so that its failure is reported as such). */
  async call<M extends Exclude<ComputeMethod, 'backend'>>(method: M, args: ComputeMethods[M]['args'], options: CallOptions = {}): Promise<ComputeMethods[M]['result']> {
    await this.backend();
    return this.send(method, args, options);
  }

  /** True while a compute side is up. */
  get running(): boolean {
    return this.endpoint !== undefined;
  }

  private send<M extends ComputeMethod>(method: M, args: ComputeMethods[M]['args'], options: CallOptions = {}): Promise<ComputeMethods[M]['result']> {
    if (this.closed) return Promise.reject(new ApiError('E_STATE', 'The workbench is shutting down.'));
    const endpoint = this.connect();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject, onProgress: options.onProgress });
      endpoint.post({ id, method, args });
      const cancel = () => this.pending.has(id) && endpoint.post({ cancel: id } satisfies CancelMessage);
      // Cancelled while the backend was starting: the compute side is told at once, and answers E_CANCELLED.
      if (options.signal?.aborted) cancel();
      else options.signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  private connect(): Endpoint {
    if (this.endpoint) return this.endpoint;
    const endpoint = this.start();
    this.endpoint = endpoint;
    endpoint.onMessage((message) => this.receive(message as ReplyMessage | EventMessage | ProgressMessage));
    endpoint.onClose((reason) => {
      if (this.endpoint !== endpoint) return;
      this.endpoint = undefined;
      this.backendInfo = undefined;
      const calls = [...this.pending.values()];
      this.pending.clear();
      for (const call of calls) {
        call.reject(new ApiError('E_COMPUTE', `The compute process ended while answering '${call.method}' (${reason}). Everything saved so far is kept; try again, or resume the run from its last checkpoint.`));
      }
    });
    return endpoint;
  }

  private receive(message: ReplyMessage | EventMessage | ProgressMessage): void {
    if ('event' in message) {
      for (const listener of this.listeners) listener(message.runId, message.event);
      return;
    }
    const call = this.pending.get(message.id);
    if (!call) return;
    if ('progress' in message) {
      call.onProgress?.(message.progress.done, message.progress.total);
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) call.resolve(message.result);
    else call.reject(revive(message.error));
  }

  /** Ends the compute side; pending calls fail. */
  close(): void {
    this.closed = true;
    this.endpoint?.close();
  }
}
