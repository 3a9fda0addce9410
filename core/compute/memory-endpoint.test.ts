// The in-process channel behaves as a child process's IPC does: each message a copy, delivered later and in order,
// nothing after a close, and both ends told of it.
import { describe, expect, it } from 'vitest';
import { memoryChannel } from './memory-endpoint';

describe('memoryChannel', () => {
  it('delivers copies, after the sender has moved on, in order, both ways', async () => {
    const [host, compute] = memoryChannel();
    const atCompute: unknown[] = [];
    const atHost: unknown[] = [];
    compute.onMessage((m) => atCompute.push(m));
    host.onMessage((m) => atHost.push(m));
    const sent = { n: 1, pixels: new Uint8Array([1, 2, 3]) };
    host.post(sent);
    host.post({ n: 2 });
    compute.post({ reply: true });
    expect(atCompute).toEqual([]); // not yet: as over IPC, the sender's turn ends first
    sent.pixels[0] = 99;
    await Promise.resolve();
    expect(atCompute).toEqual([{ n: 1, pixels: new Uint8Array([1, 2, 3]) }, { n: 2 }]);
    expect(atCompute[0]).not.toBe(sent);
    expect(atHost).toEqual([{ reply: true }]);
  });

  it('refuses what IPC could not carry, and after a close delivers nothing and tells both ends', async () => {
    const [host, compute] = memoryChannel();
    expect(() => host.post({ f: () => 1 })).toThrow();
    const got: unknown[] = [];
    const closed: string[] = [];
    compute.onMessage((m) => got.push(m));
    host.onClose((r) => closed.push(`host: ${r}`));
    compute.onClose((r) => closed.push(`compute: ${r}`));
    host.post({ late: true });
    compute.close();
    host.post({ after: true });
    await Promise.resolve();
    expect(got).toEqual([]);
    expect(closed).toEqual(['host: the channel in this process was closed', 'compute: the channel in this process was closed']);
  });
});
