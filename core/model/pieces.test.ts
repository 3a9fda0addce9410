// The tower halves of fc6 and fc7 against the whole parameters they stand for: each half is its tower's columns,
// worked out here index by index; joined they are the parameter again, for weights and optimizer slots alike; and a
// model holds them so only with two towers. (That the split network computes what the whole one does, gradients
// included, is e2e/pytorch-equivalence.test.ts: PyTorch's AlexNet holds fc6 whole.)
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { AlexNet, parameterSpecs } from './alexnet';
import { applyAblations, paperConfig, quickConfig } from './config';
import { joinPieces, parameterPieces, pieceOf } from './pieces';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('parameterPieces', () => {
  it("holds the paper's fc6 and fc7 in tower halves, each under 128 MiB, and every other parameter whole", () => {
    const config = paperConfig(1000);
    const pieces = parameterPieces(config, parameterSpecs(config));
    const halves = pieces.filter((p) => p.name !== p.spec.name);
    expect(halves.map((p) => [p.name, p.shape, p.from, p.to])).toEqual([
      ['fc6/a/kernel', [9216, 2048], 0, 2048],
      ['fc6/b/kernel', [9216, 2048], 2048, 4096],
      ['fc6/a/bias', [2048], 0, 2048],
      ['fc6/b/bias', [2048], 2048, 4096],
      ['fc7/a/kernel', [4096, 2048], 0, 2048],
      ['fc7/b/kernel', [4096, 2048], 2048, 4096],
      ['fc7/a/bias', [2048], 0, 2048],
      ['fc7/b/bias', [2048], 2048, 4096],
    ]);
    expect(Math.max(...pieces.map((p) => p.shape.reduce((a, b) => a * b, 1) * 4))).toBeLessThanOrEqual(128 * 2 ** 20);
    // The same 60,965,224 parameters.
    expect(pieces.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0)).toBe(60_965_224);
    const oneTower = applyAblations(config, { oneTower: true });
    expect(parameterPieces(oneTower, parameterSpecs(oneTower)).every((p) => p.name === p.spec.name)).toBe(true);
    // A layer of an odd width cannot be halved: it is held whole.
    const odd = { ...quickConfig(3), fcWidths: [255, 256] as [number, number] };
    expect(parameterPieces(odd, parameterSpecs(odd)).filter((p) => p.name !== p.spec.name).map((p) => p.name)).toEqual(['fc7/a/kernel', 'fc7/b/kernel', 'fc7/a/bias', 'fc7/b/bias']);
  });

  it('takes out each tower its own columns and joins them back into the same bytes', () => {
    const config = quickConfig(3);
    const specs = parameterSpecs(config);
    const pieces = parameterPieces(config, specs);
    const wholes = new Map(specs.map((s) => [s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, (_v, i) => i * 0.5 + s.name.length)]));
    const fc6 = specs.find((s) => s.name === 'fc6/kernel')!;
    const [rows, columns] = fc6.shape as [number, number];
    const b = pieces.find((p) => p.name === 'fc6/b/kernel')!;
    const half = pieceOf(b, wholes.get('fc6/kernel')!);
    for (const [r, c] of [[0, 0], [rows - 1, columns / 2 - 1], [7, 3]] as const) expect(half[r * (columns / 2) + c]).toBe(wholes.get('fc6/kernel')![r * columns + columns / 2 + c]);
    const joined = joinPieces(pieces, (p) => pieceOf(p, wholes.get(p.spec.name)!));
    for (const s of specs) expect(Buffer.from(joined.get(s.name)!.buffer).equals(Buffer.from(wholes.get(s.name)!.buffer)), s.name).toBe(true);
  });
});

describe('a model held in pieces', () => {
  it('gives back the weights it was given, and its optimizer slots whole, and frees its pieces', async () => {
    const before = tf.memory().numTensors;
    const config = quickConfig(3);
    const made = AlexNet.create(config, 'he-normal', 4);
    const values = await made.values();
    made.dispose();
    const model = new AlexNet(config, values);
    expect(model.variables().map((v) => v.shape)).toEqual(model.pieces.map((p) => p.shape));
    const back = await model.values();
    for (const s of model.specs) expect(Array.from(back.get(s.name)!)).toEqual(Array.from(values.get(s.name)!));
    const slots = new Map([...values].flatMap(([name, v]) => [[`${name}#m`, v.map((x) => x * 2)], [`${name}#v`, v.map((x) => x * x)]] as [string, Float32Array][]));
    const roundTrip = model.wholeSlots(model.pieceSlots(slots));
    expect([...roundTrip.keys()].sort()).toEqual([...slots.keys()].sort());
    for (const [key, v] of slots) expect(Array.from(roundTrip.get(key)!)).toEqual(Array.from(v));
    expect(() => model.parameter('fc6/kernel')).toThrow(/held in tower halves/);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
