// Checks the network against section 3 of the paper: parameter count, every layer's shape, initialisation, towers.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { Rng } from '../random/rng';
import { AlexNet, countParameters, parameterSpecs } from './alexnet';
import { applyAblations, layerShapes, paperConfig, quickConfig } from './config';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('the paper model', () => {
  it('has exactly 60,965,224 parameters with 1000 classes', () => {
    expect(countParameters(parameterSpecs(paperConfig(1000)))).toBe(60_965_224);
    const model = AlexNet.create(paperConfig(1000), 'paper', 0);
    expect(model.variables().reduce((n, v) => n + v.size, 0)).toBe(60_965_224);
    expect(model.parameterCount()).toBe(60_965_224);
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
    const all = await model.values();
    for (const spec of model.specs) {
      const values = all.get(spec.name)!;
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
    const [va, vb] = [await a.values(), await b.values()];
    for (const spec of a.specs) {
      const values = va.get(spec.name)!;
      const bound = 1 / Math.sqrt(spec.fanIn);
      expect(values.reduce((m, v) => Math.max(m, Math.abs(v)), 0), spec.name).toBeLessThanOrEqual(bound);
      expect(Array.from(vb.get(spec.name)!)).toEqual(Array.from(values));
    }
    expect(Array.from(await c.parameter('fc8/kernel').data())).not.toEqual(Array.from(await a.parameter('fc8/kernel').data()));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('memory', () => {
  it('frees every tensor and byte on dispose, also after its weights were replaced', async () => {
    const before = tf.memory();
    const model = AlexNet.create(quickConfig(3), 'he-normal', 1);
    expect(tf.memory().numTensors - before.numTensors).toBe(model.pieces.length);
    model.assign(await model.values());
    expect(tf.memory().numTensors - before.numTensors).toBe(model.pieces.length);
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

  it("drops each fc6 and fc7 unit with probability 0.5 (section 4.2) and doubles the kept ones (inverted dropout)", () => {
    const model = AlexNet.create({ ...quickConfig(4), fcWidths: [512, 512] }, 'kaiming-uniform', 2);
    const masks = model.dropoutMasks(40, new Rng(8))!;
    for (const mask of masks) {
      const values = mask.dataSync();
      expect(mask.shape).toEqual([40, 512]);
      expect(new Set(values)).toEqual(new Set([0, 2])); // kept units scaled by 1 / (1 - 0.5)
      const dropped = values.filter((v) => v === 0).length / values.length;
      // 20,480 Bernoulli(0.5) draws: the fraction is within 0.02 of 0.5 (about six standard deviations).
      expect(Math.abs(dropped - 0.5)).toBeLessThan(0.02);
    }
    tf.dispose(masks);
    model.dispose();
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

describe("conv1's response normalisation in the model (section 3.3)", () => {
  /** LRN with the paper's n = 5, k = 2, beta = 0.75 and the given alpha, then 3x3 max-pooling by 2, in float64. */
  function lrnThenPool(a: Float32Array, [h, w, c]: [number, number, number], alpha: number): Float64Array {
    const normed = new Float64Array(a.length);
    for (let pixel = 0; pixel < h * w; pixel++) {
      for (let j = 0; j < c; j++) {
        let sum = 0;
        for (let i = Math.max(0, j - 2); i <= Math.min(c - 1, j + 2); i++) sum += a[pixel * c + i]! ** 2;
        normed[pixel * c + j] = a[pixel * c + j]! / (2 + alpha * sum) ** 0.75;
      }
    }
    const [ph, pw] = [Math.floor((h - 3) / 2) + 1, Math.floor((w - 3) / 2) + 1];
    const out = new Float64Array(ph * pw * c).fill(-Infinity);
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        for (let dy = 0; dy < 3; dy++) {
          for (let dx = 0; dx < 3; dx++) {
            for (let j = 0; j < c; j++) out[(y * pw + x) * c + j] = Math.max(out[(y * pw + x) * c + j]!, normed[((2 * y + dy) * w + 2 * x + dx) * c + j]!);
          }
        }
      }
    }
    return out;
  }

  it('normalises each tower\'s conv1 maps over 5 adjacent maps with k 2, alpha 1e-4, beta 0.75, then pools', () => {
    const model = AlexNet.create(quickConfig(4), 'kaiming-uniform', 5);
    // Large activations, so that alpha * sum a^2 is comparable to k and a wrong alpha shows.
    const x = tf.tidy(() => tf.mul(tf.randomNormal([1, 115, 115, 3], 0, 1, 'float32', 6), 400)) as tf.Tensor4D;
    const seen = new Map<string, { data: Float32Array; shape: [number, number, number] }[]>();
    tf.tidy(() => {
      model.forward(x, { tap: (name, t) => seen.set(name, [...(seen.get(name) ?? []), { data: t.dataSync() as Float32Array, shape: t.shape.slice(1) as [number, number, number] }]) });
    });
    const conv1 = seen.get('conv1')!;
    const pool1 = seen.get('pool1')!;
    expect(conv1).toHaveLength(2);
    for (let tower = 0; tower < 2; tower++) {
      const { data, shape } = conv1[tower]!;
      const want = lrnThenPool(data, shape, 1e-4);
      const got = pool1[tower]!.data;
      expect(got).toHaveLength(want.length);
      const scale = Math.max(...Array.from(want, Math.abs));
      const worst = Math.max(...Array.from(got, (g, i) => Math.abs(g - want[i]!)));
      expect(worst / scale).toBeLessThan(1e-5);
      // The check can tell: alpha / n (a common misreading) moves the result a thousand times the tolerance.
      const misread = lrnThenPool(data, shape, 1e-4 / 5);
      expect(Math.max(...Array.from(misread, (m, i) => Math.abs(m - want[i]!))) / scale).toBeGreaterThan(1e-2);
    }
    tf.dispose(x);
    model.dispose();
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

describe('the parameters, as section 3 lists them', () => {
  it("names, shapes, fan-ins and section 5's bias-one layers of the paper's model", () => {
    // [layer, kernel side, inputs per tower, outputs per tower, bias one]: conv3 sees both towers' 128 maps each.
    const convs = [['conv1', 11, 3, 48, false], ['conv2', 5, 48, 128, true], ['conv3', 3, 256, 192, false], ['conv4', 3, 192, 192, true], ['conv5', 3, 192, 128, true]] as const;
    const want: unknown[] = [];
    for (const [layer, k, inputs, outputs, one] of convs) {
      for (const tower of ['a', 'b']) {
        want.push({ name: `${layer}/${tower}/kernel`, shape: [k, k, inputs, outputs], fanIn: k * k * inputs, paperBiasOne: false, kind: 'weight' });
        want.push({ name: `${layer}/${tower}/bias`, shape: [outputs], fanIn: k * k * inputs, paperBiasOne: one, kind: 'bias' });
      }
    }
    for (const [layer, inputs, outputs, one] of [['fc6', 9216, 4096, true], ['fc7', 4096, 4096, true], ['fc8', 4096, 1000, false]] as const) {
      want.push({ name: `${layer}/kernel`, shape: [inputs, outputs], fanIn: inputs, paperBiasOne: false, kind: 'weight' });
      want.push({ name: `${layer}/bias`, shape: [outputs], fanIn: inputs, paperBiasOne: one, kind: 'bias' });
    }
    expect(parameterSpecs(paperConfig(1000))).toEqual(want);
  });

  it('initialises He-normal: weights N(0, 2 / fan-in), biases 0', async () => {
    const model = AlexNet.create(quickConfig(10), 'he-normal', 4);
    const all = await model.values();
    for (const spec of model.specs) {
      const values = all.get(spec.name)!;
      if (spec.kind === 'bias') expect(values.every((v) => v === 0), spec.name).toBe(true);
      else if (values.length > 5000) {
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
        // Over 5000 draws the sample deviation is within 3 % of the true one with room to spare (its error is ~1/sqrt(2n)).
        expect(std / Math.sqrt(2 / spec.fanIn), spec.name).toBeGreaterThan(0.97);
        expect(std / Math.sqrt(2 / spec.fanIn), spec.name).toBeLessThan(1.03);
        expect(Math.abs(mean), spec.name).toBeLessThan(0.05 * std);
      }
    }
    model.dispose();
  });

  it("draws every scheme from one stream keyed by the seed and 'initialisation', one draw per value it draws, in spec order", async () => {
    const config = quickConfig(3);
    const draws: Record<string, (rng: Rng, spec: { kind: string; fanIn: number; paperBiasOne: boolean }) => number | undefined> = {
      paper: (rng, spec) => (spec.kind === 'bias' ? (spec.paperBiasOne ? 1 : 0) : rng.normal(0, 0.01)),
      'he-normal': (rng, spec) => (spec.kind === 'bias' ? 0 : rng.normal(0, Math.sqrt(2 / spec.fanIn))),
      'kaiming-uniform': (rng, spec) => (rng.uniform() * 2 - 1) / Math.sqrt(spec.fanIn),
    };
    for (const [scheme, draw] of Object.entries(draws)) {
      const model = AlexNet.create(config, scheme as 'paper', 11);
      const all = await model.values();
      const rng = new Rng(11, 'initialisation');
      for (const spec of model.specs) {
        const size = spec.shape.reduce((a, b) => a * b, 1);
        const want = Float32Array.from({ length: size }, () => draw(rng, spec)!);
        expect(all.get(spec.name)!.every((v, i) => v === want[i]), `${scheme} ${spec.name}`).toBe(true);
      }
      model.dispose();
    }
  });
});

describe('the model object', () => {
  it('refuses values of a missing or wrong-sized parameter, naming it, and keeps no tensor', async () => {
    const source = AlexNet.create(quickConfig(3), 'paper', 1);
    const values = await source.values();
    source.dispose();
    const before = tf.memory().numTensors;
    const without = new Map(values);
    without.delete('conv3/b/kernel');
    expect(() => new AlexNet(quickConfig(3), without)).toThrow("Parameter 'conv3/b/kernel' needs 27648 values of shape [3,3,64,48]; got none.");
    const short = new Map(values).set('fc8/bias', new Float32Array(2));
    expect(() => new AlexNet(quickConfig(3), short)).toThrow("Parameter 'fc8/bias' needs 3 values of shape [3]; got 2.");
    expect(tf.memory().numTensors).toBe(before);
  });

  it('holds trainable variables and names what it does not hold whole', () => {
    const model = AlexNet.create(quickConfig(3), 'paper', 0);
    expect(model.parameterCount()).toBe(countParameters(model.specs));
    expect(model.variables().every((v) => v.trainable)).toBe(true);
    expect(model.parameter('conv1/a/kernel').shape).toEqual([11, 11, 3, 12]);
    expect(() => model.parameter('fc6/kernel')).toThrow("The model has no parameter 'fc6/kernel' held whole (it is held in tower halves; read it with values()).");
    expect(() => model.parameter('conv9/a/kernel')).toThrow("The model has no parameter 'conv9/a/kernel' held whole.");
    model.dispose();
    const one = AlexNet.create(applyAblations(quickConfig(4), { oneTower: true }), 'paper', 0);
    expect(one.parameter('fc6/kernel').shape).toEqual([256, 256]);
    one.dispose();
  });

  it("takes another model's values whole, and refuses a checkpoint that lacks one without changing any", async () => {
    const [a, b] = [AlexNet.create(quickConfig(3), 'kaiming-uniform', 1), AlexNet.create(quickConfig(3), 'kaiming-uniform', 2)];
    const [va, vb] = [await a.values(), await b.values()];
    const lacking = new Map(vb);
    lacking.delete('fc7/bias');
    expect(() => a.assign(lacking)).toThrow("Checkpoint has no values for parameter 'fc7/bias'.");
    for (const [name, values] of await a.values()) expect(Array.from(values), name).toEqual(Array.from(va.get(name)!));
    a.assign(vb);
    for (const [name, values] of await a.values()) expect(Array.from(values), name).toEqual(Array.from(vb.get(name)!));
    a.dispose();
    b.dispose();
  });

  it("turns whole parameters' optimizer slots into the pieces' and back, for the slots there are", () => {
    const model = AlexNet.create(quickConfig(3), 'paper', 1);
    const rng = new Rng(2);
    const whole = new Map<string, Float32Array>();
    for (const spec of model.specs.filter((s) => s.name.startsWith('fc'))) {
      whole.set(`${spec.name}#m`, Float32Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, () => rng.uniform()));
    }
    const pieces = model.pieceSlots(whole);
    expect([...pieces.keys()]).toEqual(['fc6/a/kernel#m', 'fc6/b/kernel#m', 'fc6/a/bias#m', 'fc6/b/bias#m', 'fc7/a/kernel#m', 'fc7/b/kernel#m', 'fc7/a/bias#m', 'fc7/b/bias#m', 'fc8/kernel#m', 'fc8/bias#m']);
    // fc6/a/kernel holds the first half of each row of fc6/kernel [256, 256].
    const fc6 = whole.get('fc6/kernel#m')!;
    expect(Array.from(pieces.get('fc6/a/kernel#m')!.subarray(128, 256))).toEqual(Array.from(fc6.subarray(256, 384)));
    const back = model.wholeSlots(pieces);
    expect([...back.keys()].sort()).toEqual([...whole.keys()].sort());
    for (const [key, values] of whole) expect(Array.from(back.get(key)!), key).toEqual(Array.from(values));
    expect(model.pieceSlots(new Map()).size).toBe(0);
    model.dispose();
  });
});

describe('dropout in the forward pass (section 4.2)', () => {
  it("masks fc6's outputs with the first mask and fc7's with the second", () => {
    const model = AlexNet.create(quickConfig(4), 'kaiming-uniform', 2);
    const x = tf.randomNormal([2, 115, 115, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const [zeros, twos] = [tf.zeros([2, 256]) as tf.Tensor2D, tf.fill([2, 256], 2) as tf.Tensor2D];
    // fc6 dropped entirely: fc7 sees zeros, so both images get the same logits.
    const noFc6 = tf.tidy(() => model.forward(x, { dropoutMasks: [zeros, twos] })).arraySync();
    expect(noFc6[0]).toEqual(noFc6[1]);
    // fc7 dropped entirely: the logits are fc8's bias.
    const noFc7 = tf.tidy(() => model.forward(x, { dropoutMasks: [twos, zeros] })).arraySync();
    const bias = Array.from(model.parameter('fc8/bias').dataSync());
    for (const row of noFc7) expect(row.map((v, i) => Math.abs(v - bias[i]!)).every((d) => d < 1e-6)).toBe(true);
    const plain = tf.tidy(() => model.forward(x)).arraySync();
    expect(plain[0]).not.toEqual(plain[1]);
    tf.dispose([x, zeros, twos]);
    model.dispose();
  });

  it('draws the masks on the host, fc6 then fc7, row by row: 2 where a uniform draw is below 0.5, else 0', () => {
    const model = AlexNet.create({ ...quickConfig(4), fcWidths: [8, 6] }, 'paper', 0);
    const masks = model.dropoutMasks(3, new Rng(21))!;
    const rng = new Rng(21);
    expect(masks.map((m) => m.shape)).toEqual([[3, 8], [3, 6]]);
    for (const mask of masks) expect(Array.from(mask.dataSync())).toEqual(Array.from({ length: mask.size }, () => (rng.uniform() < 0.5 ? 2 : 0)));
    tf.dispose(masks);
    model.dispose();
    const none = AlexNet.create({ ...quickConfig(4), dropout: false }, 'paper', 0);
    expect(none.dropoutMasks(3, new Rng(21))).toBeUndefined();
    none.dispose();
  });
});

describe('gradients through the whole model', () => {
  it("reach conv1's kernels: the directional derivative matches a central difference", () => {
    const model = AlexNet.create(quickConfig(3), 'kaiming-uniform', 7);
    const x = tf.randomNormal([2, 115, 115, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const r = tf.randomNormal([2, 3], 0, 1, 'float32', 9);
    const kernel = model.parameter('conv1/a/kernel');
    const direction = tf.randomNormal(kernel.shape, 0, 1, 'float32', 10);
    const loss = () => tf.tidy(() => tf.sum(tf.mul(model.forward(x), r)).dataSync()[0]!);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.forward(x), r)) as tf.Scalar, [kernel]);
    const analytic = tf.tidy(() => tf.sum(tf.mul(grads[kernel.name]!, direction)).dataSync()[0]!);
    const original = kernel.clone();
    // A step of 1e-3 along N(0, 1) moves the weights (|w| < 0.05) by about 2 %: small enough that the ReLUs and
    // pooling choices barely change, large enough that float32 noise in the loss stays near 1 % of the difference.
    const step = 1e-3;
    kernel.assign(tf.tidy(() => tf.add(original, tf.mul(direction, step))));
    const up = loss();
    kernel.assign(tf.tidy(() => tf.sub(original, tf.mul(direction, step))));
    const down = loss();
    kernel.assign(original);
    const numeric = (up - down) / (2 * step);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(analytic - numeric) / Math.abs(numeric)).toBeLessThan(0.1);
    tf.dispose([x, r, direction, original, ...Object.values(grads)]);
    model.dispose();
  });
});
