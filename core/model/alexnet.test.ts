// Checks the network against section 3 of the paper: parameter count, every layer's shape, initialisation, towers.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { Rng } from '../random/rng';
import { AlexNet, countParameters, parameterSpecs } from './alexnet';
import { applyAblations, layerShapes, paperConfig, quickConfig } from './config';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('the paper model', () => {
  it('has exactly 60,965,224 parameters with 1000 classes', () => {
    expect(countParameters(parameterSpecs(paperConfig(1000)))).toBe(60_965_224);
    const model = AlexNet.create(paperConfig(1000), 'paper', 0);
    expect(model.variables().reduce((n, v) => n + v.size, 0)).toBe(60_965_224);
    model.dispose();
  });

  it("gives every layer the paper's output shape on a 227x227 input", () => {
    const expected: Record<string, number[]> = {
      conv1: [55, 55, 48], pool1: [27, 27, 48], conv2: [27, 27, 128], pool2: [13, 13, 128], conv3: [13, 13, 192],
      conv4: [13, 13, 192], conv5: [13, 13, 128], pool5: [6, 6, 128], fc6: [4096], fc7: [4096], fc8: [1000],
    };
    const config = paperConfig(1000);
    for (const s of layerShapes(config)) expect(s.shape, s.name).toEqual(expected[s.name]);
    const model = AlexNet.create(config, 'paper', 0);
    const seen = new Map<string, number[][]>();
    tf.tidy(() => {
      model.forward(tf.zeros([1, 227, 227, 3]) as tf.Tensor4D, { tap: (name, t) => seen.set(name, [...(seen.get(name) ?? []), t.shape.slice(1)]) });
    });
    for (const [name, shape] of Object.entries(expected)) {
      const towers = name.startsWith('fc') ? 1 : 2;
      expect(seen.get(name), name).toEqual(Array.from({ length: towers }, () => shape));
    }
    model.dispose();
  });

  it('initialises as section 5 says: N(0, 0.01) weights, biases 1 in conv2, conv4, conv5, fc6, fc7', async () => {
    const config = quickConfig(10);
    const model = AlexNet.create(config, 'paper', 1);
    for (const spec of model.specs) {
      const values = (await model.parameter(spec.name).data()) as Float32Array;
      if (spec.kind === 'bias') {
        const one = /^(conv2|conv4|conv5|fc6|fc7)\//.test(spec.name);
        expect(new Set(values), spec.name).toEqual(new Set([one ? 1 : 0]));
      } else if (values.length > 5000) {
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
        expect(std, spec.name).toBeGreaterThan(0.0098);
        expect(std, spec.name).toBeLessThan(0.0102);
      }
    }
    model.dispose();
  });

  it('initialises Kaiming-uniform within +-1/sqrt(fan-in), reproducibly from the seed', async () => {
    const config = quickConfig(10);
    const a = AlexNet.create(config, 'kaiming-uniform', 5);
    const b = AlexNet.create(config, 'kaiming-uniform', 5);
    const c = AlexNet.create(config, 'kaiming-uniform', 6);
    for (const spec of a.specs) {
      const values = await a.parameter(spec.name).data();
      const bound = 1 / Math.sqrt(spec.fanIn);
      expect(Math.max(...values.map(Math.abs)), spec.name).toBeLessThanOrEqual(bound);
      expect(Array.from(await b.parameter(spec.name).data())).toEqual(Array.from(values));
    }
    expect(Array.from(await c.parameter('fc8/kernel').data())).not.toEqual(Array.from(await a.parameter('fc8/kernel').data()));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('memory', () => {
  it('frees every tensor and byte on dispose, also after its weights were replaced', async () => {
    const before = tf.memory();
    const model = AlexNet.create(quickConfig(3), 'he-normal', 1);
    expect(tf.memory().numTensors - before.numTensors).toBe(model.specs.length);
    model.assign(await model.values());
    expect(tf.memory().numTensors - before.numTensors).toBe(model.specs.length);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});

describe('the ablations (sections 3.2 to 4.2)', () => {
  it('one tower: half the kernels of every conv layer but conv5 (section 3.2)', () => {
    const config = applyAblations(paperConfig(1000), { oneTower: true });
    expect(layerShapes(config).filter((s) => s.name.startsWith('conv')).map((s) => s.shape[2])).toEqual([48, 128, 192, 192, 256]);
    const specs = parameterSpecs(config);
    expect(specs.filter((s) => s.name.includes('/b/'))).toEqual([]);
    // conv2 and conv4 see the whole previous layer now: 48 and 192 input channels.
    expect(specs.find((s) => s.name === 'conv2/a/kernel')!.shape).toEqual([5, 5, 48, 128]);
    expect(specs.find((s) => s.name === 'fc6/kernel')!.shape).toEqual([9216, 4096]);
  });

  it('non-overlapping pooling uses 2x2 windows of stride 2', () => {
    const quick = applyAblations(quickConfig(10), { nonOverlappingPooling: true });
    expect(layerShapes(quick).find((s) => s.name === 'pool5')!.shape).toEqual([3, 3, 32]);
    expect(layerShapes(quickConfig(10)).find((s) => s.name === 'pool5')!.shape).toEqual([2, 2, 32]);
  });

  it('no dropout ignores the masks; with dropout, masked units change the output', () => {
    const rng = new Rng(1);
    for (const dropout of [true, false]) {
      const model = AlexNet.create({ ...quickConfig(4), dropout }, 'kaiming-uniform', 2);
      const x = tf.randomNormal([2, 115, 115, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const masks = (dropout ? model.dropoutMasks(2, rng) : undefined) ?? [tf.zeros([2, 256]) as tf.Tensor2D, tf.zeros([2, 256]) as tf.Tensor2D];
      const plain = tf.tidy(() => model.forward(x));
      const masked = tf.tidy(() => model.forward(x, { dropoutMasks: masks }));
      const differs = tf.tidy(() => tf.max(tf.abs(tf.sub(plain, masked))).dataSync()[0]!) > 1e-6;
      expect(differs).toBe(dropout);
      tf.dispose([x, plain, masked, ...masks]);
      model.dispose();
    }
  });
});

describe('tower connectivity (section 3.2, Figure 2)', () => {
  it("conv2 sees only its own tower; conv3 sees both", () => {
    const model = AlexNet.create(quickConfig(4), 'kaiming-uniform', 3);
    const x = tf.randomNormal([1, 115, 115, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const outputs = () => {
      const seen = new Map<string, Float32Array[]>();
      tf.tidy(() => {
        model.forward(x, { tap: (name, t) => seen.set(name, [...(seen.get(name) ?? []), t.dataSync() as Float32Array]) });
      });
      return seen;
    };
    const before = outputs();
    const kernel = model.parameter('conv1/b/kernel');
    kernel.assign(tf.tidy(() => tf.mul(kernel, 1.5)));
    const after = outputs();
    const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => v === b[i]);
    expect(same(before.get('conv2')![0]!, after.get('conv2')![0]!)).toBe(true); // tower a's conv2 is untouched
    expect(same(before.get('conv2')![1]!, after.get('conv2')![1]!)).toBe(false);
    expect(same(before.get('conv3')![0]!, after.get('conv3')![0]!)).toBe(false); // tower a's conv3 sees tower b
    x.dispose();
    model.dispose();
  });
});
