// The page's side of the API: calls window.api and turns an error that came back as data into an Error again.
import type { Channel, RequestArgs, ResponseOf, SerializedError } from '../../core/api/contract';

export class HostError extends Error {
  readonly code: string | undefined;
  constructor(data: SerializedError) {
    super(data.message);
    this.name = data.name;
    this.code = data.code;
  }
}

export async function invoke<C extends Channel>(channel: C, ...request: RequestArgs<C>): Promise<ResponseOf<C>> {
  const reply = await window.api.invoke(channel, ...request);
  if (reply.ok) return reply.value;
  throw new HostError(reply.error);
}
