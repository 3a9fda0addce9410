// Checks the per-buffer limit arithmetic against the paper's sizes.
import { describe, expect, it } from 'vitest';
import { checkBufferLimit, largestTensors } from './buffers';
import { paperConfig, quickConfig } from './config';

const MiB = 1024 * 1024;

describe('GPU buffer limits', () => {
  it("finds the paper's largest tensors: fc6's 9216 x 4096 weights, and conv1's output at batch 128", () => {
    const sizes = largestTensors(paperConfig(1000), 128);
    expect(sizes[0]).toEqual({ name: 'parameter fc6/kernel', bytes: 9216 * 4096 * 4 });
    expect(sizes.find((s) => s.name === 'conv1 output of a tower')!.bytes).toBe(128 * 55 * 55 * 48 * 4);
  });

  it('refuses the paper model on a 128 MiB adapter, naming the tensor, the sizes and the way on', () => {
    expect(() => checkBufferLimit(paperConfig(10), 8, 128 * MiB, 'llvmpipe')).toThrow(
      "The parameter fc6/kernel needs 144 MiB, more than the 128 MiB that one buffer may hold on llvmpipe. This adapter cannot hold the paper's weights",
    );
    expect(() => checkBufferLimit(quickConfig(10), 256, 128 * MiB)).not.toThrow();
    expect(() => checkBufferLimit(quickConfig(10), 4096, 128 * MiB)).toThrow(/The input batch needs 620 MiB, .* Use a batch of at most 845 images/); // 4 x 115 x 115 x 3 x 845 bytes <= 128 MiB < 4 x 115 x 115 x 3 x 846
    expect(() => checkBufferLimit(paperConfig(10), 128, undefined)).not.toThrow();
  });
});
