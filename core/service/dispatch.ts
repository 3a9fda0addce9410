// Answers one request on any transport: checks the channel and the request's schema, calls the handler, and returns
// every failure as data (an Error sent through IPC or a socket loses its name and code).
import { serializeError, type Channel, type Reply, type RequestOf, type ResponseOf } from '../api/contract';
import { parseChannel, parseRequest } from '../api/schemas';

/** One handler per request channel; Electron's main and the browser host serve the same table. */
export type Handlers = { [C in Channel]: (request: RequestOf<C>) => Promise<ResponseOf<C>> };

export async function dispatch(handlers: Handlers, channel: unknown, request: unknown): Promise<Reply<unknown>> {
  try {
    return { ok: true, value: await call(handlers, parseChannel(channel), request) };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

function call<C extends Channel>(handlers: Handlers, channel: C, request: unknown): Promise<ResponseOf<C>> {
  const handle: (request: RequestOf<C>) => Promise<ResponseOf<C>> = handlers[channel];
  return handle(parseRequest(channel, request));
}
