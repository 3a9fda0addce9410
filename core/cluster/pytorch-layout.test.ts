// The conversion of PyTorch-trained weights into the workbench's layout: each value lands where the workbench's
// forward reads it (element by element against the index arithmetic of both layouts), and weights that do not fit the
// job's model are refused by name. The end-to-end proof, the two engines' equal evaluations of one set of weights, is
// e2e/cluster-job.test.ts.
import { describe, expect, it } from 'vitest';
import { parameterSpecs } from '../model/alexnet';
import { applyAblations, quickConfig } from '../model/config';
import { fromTorch, torchShapes, type TorchParameter } from './pytorch-layout';

const config = quickConfig(5);
/** Every value is its own flat index in its tensor, plus a tag per tensor, so a misplaced value is visible. */
function numbered(shapes: { name: string; shape: number[] }[]): TorchParameter[] {
  return shapes.map(({ name, shape }, tag) => ({ name, shape, values: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => tag * 1e6 + i) }));
}

describe('PyTorch weights in the workbench layout', () => {
  it("puts each conv weight at its tower's HWIO place and each dense weight at [in, out]", () => {
    const torch = numbered(torchShapes(config));
    const named = fromTorch(config, torch);
    expect([...named.keys()]).toEqual(parameterSpecs(config).map((s) => s.name));
    const byName = new Map(torch.map((p) => [p.name, p]));
    // conv2 of tower b: PyTorch's output channel 32 + o, input i (its group's), row y, column x.
    const [k, , inputs, outputs] = parameterSpecs(config).find((s) => s.name === 'conv2/b/kernel')!.shape as number[];
    const weight = byName.get('conv.1.weight')!;
    const kernel = named.get('conv2/b/kernel')!;
    for (const [y, x, i, o] of [[0, 0, 0, 0], [4, 1, 11, 31], [2, 3, 5, 7]] as const) {
      expect(kernel[((y * k! + x) * inputs! + i) * outputs! + o]).toBe(weight.values[(((outputs! + o) * inputs! + i) * k! + y) * k! + x]);
    }
    expect(Array.from(named.get('conv2/b/bias')!)).toEqual(Array.from(byName.get('conv.1.bias')!.values.slice(32)));
    // fc6: the workbench's input (h, w, c) of pool5 (both towers' channels side by side) is PyTorch's c * side^2 + h * side + w.
    const fc6 = named.get('fc6/kernel')!;
    const torchFc6 = byName.get('fc6.weight')!;
    const [flat, out] = parameterSpecs(config).find((s) => s.name === 'fc6/kernel')!.shape as [number, number];
    const channels = 64;
    const side = Math.sqrt(flat / channels);
    for (const [h, w, c, o] of [[0, 0, 0, 0], [side - 1, side - 1, channels - 1, out - 1], [1, 0, 40, 100]] as const) {
      expect(fc6[((h * side + w) * channels + c) * out + o]).toBe(torchFc6.values[o * flat + c * side * side + h * side + w]);
    }
    const fc8 = named.get('fc8/kernel')!;
    const torchFc8 = byName.get('fc8.weight')!;
    expect(fc8[7 * 5 + 3]).toBe(torchFc8.values[3 * 256 + 7]);
  });

  it('converts the one-tower ablation (conv5 kept whole)', () => {
    const one = applyAblations(config, { oneTower: true });
    const named = fromTorch(one, numbered(torchShapes(one)));
    expect([...named.keys()].filter((n) => n.includes('/b/'))).toEqual([]);
    for (const s of parameterSpecs(one)) expect(named.get(s.name)!.length, s.name).toBe(s.shape.reduce((a, b) => a * b, 1));
  });

  it('refuses weights that are not the model of the job, naming the parameter', () => {
    const torch = numbered(torchShapes(config));
    expect(() => fromTorch(config, torch.filter((p) => p.name !== 'fc7.bias'))).toThrow(/have no 'fc7.bias'/);
    expect(() => fromTorch(config, torch.map((p) => (p.name === 'conv.2.weight' ? { ...p, shape: [96, 64, 5, 5] } : p)))).toThrow(/'conv.2.weight' has shape \[96, 64, 5, 5\]; .* needs \[96, 64, 3, 3\]/);
    expect(() => fromTorch(config, torch.map((p) => (p.name === 'fc8.bias' ? { ...p, values: p.values.subarray(1) } : p)))).toThrow(/'fc8.bias' has 4 values/);
    expect(() => fromTorch(config, [...torch, { name: 'bn.weight', shape: [3], values: new Float32Array(3) }])).toThrow(/have 'bn.weight', which the quick model does not have/);
  });
});
