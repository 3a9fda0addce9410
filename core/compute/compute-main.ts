// Entry of the compute child process: serves the compute protocol on its IPC channel until the host goes away.
import { ComputeServer } from './compute-server';
import type { Endpoint } from './protocol';

if (!process.send) throw new Error('compute-main.ts runs as a child process with an IPC channel (see node-compute.ts).');

const endpoint: Endpoint = {
  post: (message) => {
    if (process.connected) process.send!(message as object);
  },
  onMessage: (listener) => void process.on('message', listener),
  onClose: () => {},
  close: () => process.disconnect(),
};
// A lost GPU device cannot come back in this process: leave (once the last answer is out), and the host starts anew.
new ComputeServer(endpoint, () => {
  setTimeout(() => process.exit(1), 100);
});

// The host has gone (it stops training with a checkpoint before it closes us; after a crash nothing could record
// more anyway): leave at once. Dawn's device would otherwise keep the process alive.
process.on('disconnect', () => process.exit(0));
