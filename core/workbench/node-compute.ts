// The compute side as a Node child process (for the browser host): a crash or a lost GPU there ends that process,
// not the host, and the host starts a new one for the next call.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from '../compute/protocol';

/** The repository's root: two folders up, from these sources (core/compute) as from the CLI's bundle (out/node). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Forks compute-main.ts (through bin/compute.js, which starts it bundled) and returns the host's end of its IPC channel. */
export function forkCompute(): Endpoint {
  const child = fork(path.join(ROOT, 'bin', 'compute.js'), [], {
    // Structured clone keeps typed arrays (kernels, features, pixels) intact.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const closeListeners: ((reason: string) => void)[] = [];
  let closed = false;
  const ended = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const listener of closeListeners) listener(reason);
  };
  child.on('exit', (code, signal) => ended(signal ? `killed by ${signal}` : `exit code ${code}`));
  child.on('error', (error) => ended(error.message));
  return {
    post(message) {
      if (!closed) child.send(message as object);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    close() {
      if (!closed) child.kill('SIGTERM');
    },
  };
}
