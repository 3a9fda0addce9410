// Bounds on expensive requests: a page (or a script with the token) cannot queue up unbounded work on the compute
// side or the disk. Each expensive channel has a number of requests that may be in flight at once; one more is
// refused at once with E_TOO_MANY_REQUESTS, saying how many are running.
import { ApiError, type Channel } from '../api/contract';
import type { Handlers } from './dispatch';

/** Requests in flight at once, per expensive channel. Thumbnails are cheap but come in bursts of pages. */
export const IN_FLIGHT_LIMITS: Partial<Record<Channel, number>> = {
  'lookup:query': 4,
  'lookup:features': 1,
  'confusion:get': 2,
  'confusion:cell': 4,
  'kernels:get': 4,
  'datasets:thumbnails': 16,
  'datasets:import': 4,
  'runs:export': 2,
};

const WHAT: Partial<Record<Channel, string>> = {
  'lookup:query': 'look-ups',
  'lookup:features': 'feature computations',
  'confusion:get': 'evaluations',
  'confusion:cell': 'confusion cells',
  'kernels:get': 'kernel views',
  'datasets:thumbnails': 'thumbnail requests',
  'datasets:import': 'imports being started',
  'runs:export': 'exports',
};

/** The handlers, with the in-flight limits applied. */
export function limitInFlight(handlers: Handlers, limits: Partial<Record<Channel, number>> = IN_FLIGHT_LIMITS): Handlers {
  const limited = { ...handlers } as Record<Channel, (request: unknown) => Promise<unknown>>;
  for (const [channel, most] of Object.entries(limits) as [Channel, number][]) {
    const handle = handlers[channel] as (request: unknown) => Promise<unknown>;
    let running = 0;
    limited[channel] = async (request) => {
      if (running >= most) throw new ApiError('E_TOO_MANY_REQUESTS', `Too many ${WHAT[channel] ?? channel} at once (${running} are running); wait for one to finish and try again.`);
      running++;
      try {
        return await handle(request);
      } finally {
        running--;
      }
    };
  }
  return limited as Handlers;
}
