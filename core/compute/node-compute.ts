// The compute side as a Node child process (for the browser host): a crash or a lost GPU there ends that process,
// not the host, and the host starts a new one for the next call.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from './protocol';

const require = createRequire(import.meta.url);

/** Forks core/compute/compute-main.ts (through tsx's loader) and returns the host's end of its IPC channel. */
export function forkCompute(): Endpoint {
  const entry = fileURLToPath(new URL('./compute-main.ts', import.meta.url));
  const child = fork(entry, [], {
    execArgv: ['--import', require.resolve('tsx')],
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
