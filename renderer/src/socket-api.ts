// The contract's HostApi over the browser host's WebSocket (`alexnet serve`): requests answered by id, events
// broadcast, reconnection with backoff, and requests that fail with a clear error when the socket drops.
import type {
  Channel,
  HostApi,
  HostEvent,
  HostEventType,
  Reply,
  RequestArgs,
  ResponseOf,
  SOCKET_PATH,
  SocketMessage,
  SocketRequest,
  TOKEN_REFUSED_CLOSE_CODE,
} from '../../core/api/contract';

// The renderer may import only types from core/, so the contract's constants are repeated and checked by their types.
const socketPath: typeof SOCKET_PATH = '/api';
const tokenRefused: typeof TOKEN_REFUSED_CLOSE_CODE = 4001;

/** 'connecting' until the first open; 'lost' from a drop until the next open; 'refused' when the host refused the token (final). */
export type ConnectionState = 'connecting' | 'open' | 'lost' | 'refused';

export interface SocketApiOptions {
  token: string;
  /** Told every change of the connection, with how many tries have failed since it was last open. */
  onState(state: ConnectionState, failedTries: number): void;
}

/** Failed tries before the first open after which requests waiting for it are failed (and must be made again). */
export const WAITING_GIVES_UP_AFTER = 2;
const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 10_000;

type Pending = { channel: string; resolve: (reply: Reply<unknown>) => void };

export function createSocketApi(options: SocketApiOptions): HostApi {
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${socketPath}?token=${encodeURIComponent(options.token)}`;
  const listeners = new Map<string, Set<(event: HostEvent) => void>>();
  const sent = new Map<number, Pending>();
  // Requests made before the first open wait for it; later ones fail at once while the socket is down, so no control
  // stays busy for as long as the host is away.
  const waiting: { message: SocketRequest; pending: Pending }[] = [];
  let socket: WebSocket | null = null;
  let refused = false;
  let open = false;
  let everOpen = false;
  let failedTries = 0;
  let nextId = 1;

  function failure(message: string): Reply<unknown> {
    return { ok: false, error: { name: 'ConnectionError', message } };
  }

  function connect(): void {
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      open = true;
      everOpen = true;
      failedTries = 0;
      options.onState('open', 0);
      for (const { message, pending } of waiting.splice(0)) transmit(message, pending);
    };
    ws.onmessage = (message) => receive(message.data);
    ws.onclose = (event) => {
      const wasOpen = open;
      open = false;
      socket = null;
      if (event.code === tokenRefused) {
        // A token from an earlier start of the host: trying again cannot help; the page says what to open instead.
        refused = true;
        for (const pending of [...sent.values(), ...waiting.splice(0).map((w) => w.pending)]) pending.resolve(failure('The workbench host refused this page\'s access token.'));
        sent.clear();
        options.onState('refused', failedTries);
        return;
      }
      for (const [id, pending] of sent) {
        sent.delete(id);
        pending.resolve(failure(`Lost the connection to the workbench host before it answered '${pending.channel}'; try again once it reconnects.`));
      }
      if (!wasOpen) failedTries += 1;
      if (!everOpen && failedTries >= WAITING_GIVES_UP_AFTER) {
        for (const { pending } of waiting.splice(0)) {
          pending.resolve(failure(`Cannot reach the workbench host at ${location.host}; is \`alexnet serve\` still running?`));
        }
      }
      options.onState(everOpen ? 'lost' : 'connecting', failedTries);
      // Exponential backoff with jitter, so many tabs do not knock on a restarting host in step.
      const delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(failedTries, 6)) * (0.75 + Math.random() * 0.5);
      setTimeout(connect, wasOpen ? FIRST_RETRY_MS : delay);
    };
  }

  function transmit(message: SocketRequest, pending: Pending): void {
    sent.set(message.id, pending);
    socket!.send(JSON.stringify(message));
  }

  function receive(data: unknown): void {
    if (typeof data !== 'string') {
      console.error('The workbench host sent a binary message; it speaks JSON text only.');
      return;
    }
    const message = JSON.parse(data) as SocketMessage;
    if ('event' in message) {
      for (const listener of listeners.get(message.event.type) ?? []) {
        try {
          listener(message.event);
        } catch (error) {
          // One broken listener must not starve the others of the event.
          console.error(`A listener of '${message.event.type}' failed:`, error);
        }
      }
      return;
    }
    const pending = sent.get(message.id);
    if (pending === undefined) {
      console.error(`The workbench host answered request ${message.id}, which is not waiting for an answer.`);
      return;
    }
    sent.delete(message.id);
    pending.resolve(message.reply);
  }

  connect();
  options.onState('connecting', 0);

  return {
    invoke<C extends Channel>(channel: C, ...request: RequestArgs<C>): Promise<Reply<ResponseOf<C>>> {
      return new Promise<Reply<unknown>>((resolve) => {
        const message: SocketRequest = { id: nextId++, channel, request: request[0] };
        const pending = { channel, resolve };
        if (open) transmit(message, pending);
        else if (refused) resolve(failure('The workbench host refused this page\'s access token.'));
        else if (!everOpen) waiting.push({ message, pending });
        else resolve(failure(`Not connected to the workbench host (reconnecting); '${channel}' was not sent. Try again in a moment.`));
      }) as Promise<Reply<ResponseOf<C>>>;
    },
    on<T extends HostEventType>(type: T, listener: (event: Extract<HostEvent, { type: T }>) => void): () => void {
      const forward = listener as (event: HostEvent) => void;
      let set = listeners.get(type);
      if (set === undefined) listeners.set(type, (set = new Set()));
      set.add(forward);
      return () => void set.delete(forward);
    },
  };
}
