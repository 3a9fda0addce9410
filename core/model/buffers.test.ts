// Checks the per-buffer limit arithmetic against the paper's sizes.
import { describe, expect, it } from 'vitest';
import { checkBufferLimit, largestTensors } from './buffers';
import { applyAblations, layerShapes, paperConfig, quickConfig, type ModelConfig } from './config';

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

  it("sizes the activations from the layers' shapes (section 3's arithmetic, computed independently in config.ts)", () => {
    const bytes = (config: ModelConfig, layer: string, batch: number) => 4 * batch * layerShapes(config).find((s) => s.name === layer)!.shape.reduce((a, b) => a * b, 1);
    for (const config of [quickConfig(5), applyAblations(quickConfig(5), { nonOverlappingPooling: true }), applyAblations(paperConfig(5), { oneTower: true })]) {
      const sizes = new Map(largestTensors(config, 3).map((t) => [t.name, t.bytes]));
      expect(sizes.get('input batch')).toBe(4 * 3 * config.cropSize * config.cropSize * 3);
      expect(sizes.get('conv1 output of a tower')).toBe(bytes(config, 'conv1', 3));
      expect(sizes.get('conv2 output of a tower')).toBe(bytes(config, 'conv2', 3));
      expect(sizes.get('conv3 input')).toBe(bytes(config, 'pool2', 3) * config.towers);
    }
  });

  it('takes a tensor exactly the size of the limit, and names the largest batch that fits (brute force)', () => {
    const quick = quickConfig(10);
    const input = (batch: number) => 4 * batch * 115 * 115 * 3;
    expect(() => checkBufferLimit(quick, 845, input(845))).not.toThrow();
    expect(() => checkBufferLimit(quick, 846, input(845))).toThrow(
      `The input batch needs ${(input(846) / MiB).toFixed(0)} MiB, more than the ${(input(845) / MiB).toFixed(0)} MiB that one buffer may hold on this GPU. Use a batch of at most 845 images (--batch-size 845), or the CPU engine (--backend wasm).`,
    );
    for (const [batch, limit] of [[100, 3 * MiB], [37, input(20) + 5], [2, input(1)]] as const) {
      let most = 0;
      for (let b = 1; b < batch; b++) if (largestTensors(quick, b).every((t) => t.bytes <= limit)) most = b;
      expect(() => checkBufferLimit(quick, batch, limit), `${batch} at ${limit}`).toThrow(`Use a batch of at most ${most} images (--batch-size ${most})`);
    }
  });

  it("names the weights of a model that no batch size fits, as the paper's or not", () => {
    expect(() => checkBufferLimit(quickConfig(10), 4, 64 * 1024, 'a small GPU')).toThrow(
      "The parameter fc6/a/kernel needs 128 KiB, more than the 64 KiB that one buffer may hold on a small GPU. This adapter cannot hold the model's weights: use a GPU with larger buffers, the CPU engine (--backend wasm), or the quick preset.",
    );
  });
});
