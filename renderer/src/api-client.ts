// The page's side of the API: calls window.api, turns an error that came back as data into an Error again, and
// subscribes to host events.
import type { Channel, HostEvent, HostEventType, Reply, RequestArgs, ResponseOf, SerializedError } from '../../core/api/contract';

export class HostError extends Error {
  readonly code: string | undefined;
  constructor(data: SerializedError) {
    super(data.message);
    this.name = data.name;
    this.code = data.code;
  }
}

export async function invoke<C extends Channel>(channel: C, ...request: RequestArgs<C>): Promise<ResponseOf<C>> {
  return valueOf(await window.api.invoke(channel, ...request));
}

/** The value of a reply, or its error thrown as a HostError (the desktop extras answer with Replies too). */
export function valueOf<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value;
  throw new HostError(reply.error);
}

/** Calls `listener` for each host event of `type`; returns the function that stops it. */
export function listen<T extends HostEventType>(type: T, listener: (event: Extract<HostEvent, { type: T }>) => void): () => void {
  return window.api.on(type, listener);
}

/** What to show the user for a failed request: the host's message, in words. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
