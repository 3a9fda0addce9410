// Checks the per-buffer limit arithmetic against the paper's sizes.
import { describe, expect, it } from 'vitest';
import { checkBufferLimit, largestTensors } from './buffers';
import { paperConfig, quickConfig } from './config';

const MiB = 1024 * 1024;

describe('GPU buffer limits', () => {
  it("finds the paper's largest tensors at batch 128: the input, fc6's tower halves (9216 x 2048), conv1's output", () => {
    const sizes = largestTensors(paperConfig(1000), 128);
    expect(sizes.slice(0, 4)).toEqual([
      { name: 'input batch', bytes: 128 * 227 * 227 * 3 * 4 },
      { name: 'parameter fc6/a/kernel', bytes: 9216 * 2048 * 4 },
      { name: 'parameter fc6/b/kernel', bytes: 9216 * 2048 * 4 },
      { name: 'conv1 output of a tower', bytes: 128 * 55 * 55 * 48 * 4 },
    ]);
    expect(sizes.some((s) => s.name === 'parameter fc6/kernel')).toBe(false);
  });

  it("fits the paper's model on a 128 MiB adapter at batch 128 (fc6 in tower halves), and refuses what still cannot fit", () => {
    expect(() => checkBufferLimit(paperConfig(10), 128, 128 * MiB, 'llvmpipe')).not.toThrow();
    // The one-tower ablation holds fc6 whole, 144 MiB: refused, naming it.
    expect(() => checkBufferLimit({ ...paperConfig(10), towers: 1 }, 8, 128 * MiB, 'llvmpipe')).toThrow(
      "The parameter fc6/kernel needs 144 MiB, more than the 128 MiB that one buffer may hold on llvmpipe. This adapter cannot hold the paper's weights",
    );
    expect(() => checkBufferLimit(quickConfig(10), 256, 128 * MiB)).not.toThrow();
    expect(() => checkBufferLimit(quickConfig(10), 4096, 128 * MiB)).toThrow(/The input batch needs 620 MiB, .* Use a batch of at most 845 images/); // 4 x 115 x 115 x 3 x 845 bytes <= 128 MiB < 4 x 115 x 115 x 3 x 846
    expect(() => checkBufferLimit(paperConfig(10), 128, undefined)).not.toThrow();
  });
});
