// Both ends of a channel inside one process, for a host that runs the compute side in-process (the CLI, the
// reproduction, tests). Messages are structured-cloned and delivered on a later microtask, as over a child process's
// IPC channel, so that the same host and compute code behave the same over either.
import type { Endpoint } from './protocol';

interface Side {
  listeners: ((message: unknown) => void)[];
  closeListeners: ((reason: string) => void)[];
}

/** The host's end and the compute side's end. Closing either closes both. */
export function memoryChannel(): [Endpoint, Endpoint] {
  const sides: [Side, Side] = [
    { listeners: [], closeListeners: [] },
    { listeners: [], closeListeners: [] },
  ];
  let closed = false;
  const end = (mine: Side, other: Side): Endpoint => ({
    post(message) {
      if (closed) return;
      const copy = structuredClone(message);
      queueMicrotask(() => {
        if (!closed) for (const listener of other.listeners) listener(copy);
      });
    },
    onMessage(listener) {
      mine.listeners.push(listener);
    },
    onClose(listener) {
      mine.closeListeners.push(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const side of sides) for (const listener of side.closeListeners) listener('the channel in this process was closed');
    },
  });
  return [end(sides[0], sides[1]), end(sides[1], sides[0])];
}
