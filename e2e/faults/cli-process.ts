// The `alexnet` command as a child process the fault tests can kill: started, waited for, or killed after a delay.
import { spawn } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'alexnet.js');

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `alexnet --home <home> --backend wasm <args>`; with `killAfterMs` it is sent SIGKILL then (if still running).
 * `fault` sets ALEXNET_FAULT, so that the process kills itself at a named point (core/fault-points.ts).
 */
export function alexnet(home: string, args: string[], options: { killAfterMs?: number; fault?: string } = {}): Promise<Ended> {
  const env = { ...process.env, ...(options.fault ? { ALEXNET_FAULT: options.fault } : {}) };
  const child = spawn(process.execPath, [BIN, '--home', home, '--backend', 'wasm', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = options.killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs) : undefined;
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      // Let the pipes drain before answering.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}
