// Checks the ONNX graph against the engine's own forward pass, run by an independent implementation (onnxruntime),
// for the paper's switches (two towers or one, LRN or not, overlapping pooling or not), with weights scaled so that
// local response normalisation changes the activations a lot: at small activations a wrong LRN constant (alpha not
// multiplied by n for ONNX, say) would hide under the tolerance; at these it fails three of the four variants.
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { AlexNet, initialValues, parameterSpecs } from '../model/alexnet';
import { applyAblations, quickConfig } from '../model/config';
import type { Ablations } from '../vocabulary';
import { Rng } from '../random/rng';
import { alexnetGraph } from './onnx-graph';
import { encodeOnnx } from './onnx-file';

beforeAll(async () => {
  await selectBackend('cpu');
});

const variants: [string, Partial<Ablations>][] = [
  ['two towers with LRN and overlapping pooling', {}],
  ['one tower', { oneTower: true }],
  ['no LRN', { noLrn: true }],
  ['non-overlapping pooling', { nonOverlappingPooling: true }],
];

describe('the ONNX graph under onnxruntime', () => {
  it.each(variants)('%s: the same logits and fc7 as the engine', async (_, ablations) => {
    const config = applyAblations(quickConfig(7), ablations);
    const rng = new Rng(3, 'onnx-graph');
    const weights = new Map(parameterSpecs(config).map((spec) => [spec.name, initialValues(spec, 'he-normal', rng)]));
    // Large early activations: alpha * (sum of squares) far above k, so that LRN's constants matter.
    for (const [name, values] of weights) if (/^conv[12]\/.*\/kernel$/.test(name)) values.forEach((v, i) => (values[i] = v * 40));
    const crop = config.cropSize;
    const batch = 2;
    const pixels = Float32Array.from({ length: batch * crop * crop * 3 }, () => Math.floor(rng.uniform() * 256));
    const mean = Float32Array.from({ length: crop * crop * 3 }, () => 100 + rng.uniform() * 40);
    const scale = 1 / 255;
    // The engine: (pixels - mean) * scale, NHWC.
    const model = new AlexNet(config, weights);
    const input = Float32Array.from(pixels, (p, i) => (p - mean[i % mean.length]!) * scale);
    let fc7: Float32Array | undefined;
    const logits = tf.tidy(() =>
      model.forward(tf.tensor4d(input, [batch, crop, crop, 3]), {
        tap: (name, t) => {
          if (name === 'fc7') fc7 = t.dataSync() as Float32Array;
        },
      }).dataSync() as Float32Array,
    );
    model.dispose();
    // onnxruntime: the raw pixels in NCHW.
    const nchw = new Float32Array(pixels.length);
    for (let n = 0; n < batch; n++) for (let y = 0; y < crop; y++) for (let x = 0; x < crop; x++) for (let c = 0; c < 3; c++) nchw[((n * 3 + c) * crop + y) * crop + x] = pixels[((n * crop + y) * crop + x) * 3 + c]!;
    const file = encodeOnnx(alexnetGraph(config, weights, mean, scale), {}, { name: 'test', version: '0' }, 'test');
    const session = await ort.InferenceSession.create(file);
    const out = await session.run({ image: new ort.Tensor('float32', nchw, [batch, 3, crop, crop]) });
    const relative = (a: Float32Array, b: Float32Array) => {
      const size = Math.max(...b.map(Math.abs));
      return Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / size;
    };
    expect(relative(out.logits!.data as Float32Array, logits)).toBeLessThan(1e-4);
    expect(relative(out.fc7!.data as Float32Array, fc7!)).toBeLessThan(1e-4);
  });
});
