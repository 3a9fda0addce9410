import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { DamagedRecordError } from '../dataset/damaged-record';
import type { ImageEntry } from '../dataset/types';
import { AlexNet } from '../model/alexnet';
import { quickConfig } from '../model/config';
import { Rng } from '../random/rng';
import type { InputTransform } from '../model/input';
import type { ImageSource } from '../dataset/image-source';
import { evaluate } from './evaluate';

// The quick preset's network (real, on the WebAssembly engine) on 12 random 128x128 images of 6 classes; the
// reference cuts each crop by hand, runs the network on it alone and does the arithmetic in float64.
const CLASSES = 6;
const SIZE = 128;
const CROP = 115;
const IMAGES = 12;
const DAMAGED_RECORD = 3;

let model: AlexNet;
const rng = new Rng(7);
// Each image a colour of its own in waves of its own, with noise: a randomly initialised network tells them apart
// (the first test checks that it answers at least three different classes).
const pixels = Array.from({ length: IMAGES }, (_, i) => {
  const colour = [rng.uniform(), rng.uniform(), rng.uniform()];
  return Uint8Array.from({ length: SIZE * SIZE * 3 }, (_, k) => Math.min(255, Math.round(colour[k % 3]! * 255 * (0.5 + 0.5 * Math.sin(k / (300 * (i + 1)))) + 60 * rng.uniform())));
});
const meanImage = Float32Array.from({ length: SIZE * SIZE * 3 }, () => 100 + 50 * rng.uniform());
const transform: InputTransform = { size: SIZE, crop: CROP, mean: meanImage, scale: 1 / 255 };
// Labels chosen so that every class occurs and some images are right, some wrong.
const entries: ImageEntry[] = pixels.map((_, i) => ({ path: `train/c${i % CLASSES}/${i}.png`, label: (i * 5) % CLASSES, split: 'test', record: i, sha256: '', size: 0, mtimeMs: 0, width: SIZE, height: SIZE, conversions: [] }));

/** The cache's two reads, from memory: record DAMAGED_RECORD fails its checksum as a damaged cache record does. */
function source(damaged: boolean): ImageSource {
  return {
    size: SIZE,
    image: (record: number) => {
      if (damaged && record === DAMAGED_RECORD) throw new DamagedRecordError(`x/${record}.png`, record, 'images.u8');
      return pixels[record]!;
    },
    mean: () => meanImage,
  } as unknown as ImageSource;
}

/** One crop, cut and normalised by hand: rows top.., columns left.., reflected when asked. */
function cut(image: ArrayLike<number>, top: number, left: number, flip: boolean): Float32Array {
  const out = new Float32Array(CROP * CROP * 3);
  for (let y = 0; y < CROP; y++) {
    for (let x = 0; x < CROP; x++) {
      const sx = left + (flip ? CROP - 1 - x : x);
      for (let c = 0; c < 3; c++) {
        const src = ((top + y) * SIZE + sx) * 3 + c;
        out[(y * CROP + x) * 3 + c] = (image[src]! - meanImage[src]!) / 255;
      }
    }
  }
  return out;
}

/** Softmax in float64 of the network's logits on one crop, and its fc7 features. */
function run(crop: Float32Array): { p: number[]; fc7: Float32Array } {
  let fc7: Float32Array | undefined;
  const logits = tf.tidy(() => {
    const out = model.forward(tf.tensor4d(crop, [1, CROP, CROP, 3]), { tap: (name, t) => { if (name === 'fc7') fc7 = t.dataSync() as Float32Array; } });
    return Array.from(out.dataSync());
  });
  const top = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return { p: e.map((x) => x / sum), fc7: fc7! };
}

/** The expected figures from per-image probabilities, by brute force. */
function figures(probabilities: number[][], labels: number[]) {
  const ranks = probabilities.map((p) => p.map((_, c) => c).sort((a, b) => p[b]! - p[a]! || a - b));
  const confusion = Array.from({ length: CLASSES }, () => new Array<number>(CLASSES).fill(0));
  ranks.forEach((r, i) => confusion[labels[i]!]![r[0]!]!++);
  const votes = new Array<number>(CLASSES).fill(0);
  ranks.forEach((r) => votes[r[0]!]!++);
  return {
    top1: ranks.filter((r, i) => r[0] !== labels[i]).length / labels.length,
    top5: ranks.filter((r, i) => !r.slice(0, 5).includes(labels[i]!)).length / labels.length,
    loss: -probabilities.reduce((s, p, i) => s + Math.log(p[labels[i]!]!), 0) / labels.length,
    confusion,
    dominant: Math.max(...votes) / labels.length,
  };
}

beforeAll(async () => {
  await selectBackend('wasm');
  model = AlexNet.create(quickConfig(CLASSES), 'he-normal', 1);
});

afterAll(() => model.dispose());

describe('evaluate (section 6)', () => {
  it('gives the centre crop’s top-1 and top-5 error, loss, confusion and fc7 features as the network computes them one crop at a time', async () => {
    const c = Math.floor((SIZE - CROP) / 2);
    const reference = pixels.map((image) => run(cut(image, c, c, false)));
    const features: [number, Float32Array][] = [];
    const progress: [number, number][] = [];
    const result = await evaluate(model, source(false), entries, transform, { batchSize: 2, onFeatures: (first, f) => features.push([first, f.slice()]), onProgress: (done, total) => progress.push([done, total]) });
    const labels = entries.map((e) => e.label);
    const want = figures(reference.map((r) => r.p), labels);
    expect(result.crops).toBe('centre');
    expect(result.count).toBe(IMAGES);
    expect(result.top1Error).toBeCloseTo(want.top1, 12);
    expect(result.top5Error).toBeCloseTo(want.top5, 12);
    expect(want.top1).toBeGreaterThan(0); // the case tests something: some wrong, some right
    expect(want.top1).toBeLessThan(1);
    expect(new Set(reference.map((r) => r.p.indexOf(Math.max(...r.p)))).size).toBeGreaterThanOrEqual(3);
    expect(result.loss).toBeCloseTo(want.loss, 5);
    expect(result.confusion).toEqual(want.confusion);
    expect(result.dominantPredictionFraction).toBeCloseTo(want.dominant, 12);
    expect(Array.from(result.labels)).toEqual(labels);
    reference.forEach((r, i) => r.p.forEach((p, k) => expect(result.probabilities[i * CLASSES + k]!, `image ${i} class ${k}`).toBeCloseTo(p, 5)));
    // Per-class accuracy: the diagonal over the row.
    want.confusion.forEach((row, k) => expect(result.perClassAccuracy[k]).toBeCloseTo(row[k]! / row.reduce((a, b) => a + b, 0), 12));
    // fc7 for every image, in order, batch by batch (2 at a time).
    expect(features.map(([first]) => first)).toEqual([0, 2, 4, 6, 8, 10]);
    for (const [first, f] of features) {
      for (let i = 0; i < f.length / 256; i++) {
        const own = reference[first + i]!.fc7;
        let worst = 0;
        for (let u = 0; u < 256; u++) worst = Math.max(worst, Math.abs(f[i * 256 + u]! - own[u]!));
        expect(worst, `image ${first + i}`).toBeLessThan(1e-4);
      }
    }
    // Dead units: zero for every image.
    let dead = 0;
    for (let u = 0; u < 256; u++) if (reference.every((r) => r.fc7[u]! <= 0)) dead++;
    expect(result.deadReluFraction).toBeCloseTo(dead / 256, 12);
    // With progress asked for, images are read a batch at a time (2 images): progress after each.
    expect(progress).toEqual([2, 4, 6, 8, 10, 12].map((done) => [done, IMAGES]));
  });

  it("averages the ten crops' probabilities (section 4.1): the corners and the centre, and their reflections", async () => {
    const e = SIZE - CROP;
    const c = Math.floor(e / 2);
    const offsets = [[c, c], [0, 0], [0, e], [e, 0], [e, e]] as const;
    const everActive = new Uint8Array(256);
    const reference = pixels.map((image) => {
      const sum = new Array<number>(CLASSES).fill(0);
      for (const flip of [false, true]) {
        for (const [top, left] of offsets) {
          const { p, fc7 } = run(cut(image, top, left, flip));
          p.forEach((x, k) => (sum[k]! += x / 10));
          fc7.forEach((v, u) => (everActive[u]! |= v > 0 ? 1 : 0));
        }
      }
      return sum;
    });
    const result = await evaluate(model, source(false), entries, transform, { crops: 'ten', batchSize: 20 });
    // A unit is dead when no crop of any image lit it.
    expect(result.deadReluFraction).toBeCloseTo(everActive.filter((a) => a === 0).length / 256, 12);
    const labels = entries.map((x) => x.label);
    const want = figures(reference, labels);
    expect(result.crops).toBe('ten');
    reference.forEach((r, i) => r.forEach((p, k) => expect(result.probabilities[i * CLASSES + k]!, `image ${i} class ${k}`).toBeCloseTo(p, 5)));
    expect(result.top1Error).toBeCloseTo(want.top1, 12);
    expect(result.top5Error).toBeCloseTo(want.top5, 12);
    expect(result.loss).toBeCloseTo(want.loss, 5);
    expect(result.confusion).toEqual(want.confusion);
  });

  it('leaves a damaged image out of every figure, runs it as the mean image, and names its position', async () => {
    const c = Math.floor((SIZE - CROP) / 2);
    const result = await evaluate(model, source(true), entries, transform, { batchSize: 4 });
    expect(result.damaged).toEqual([DAMAGED_RECORD]);
    expect(result.count).toBe(IMAGES - 1);
    const kept = entries.filter((x) => x.record !== DAMAGED_RECORD);
    expect(Array.from(result.labels)).toEqual(kept.map((x) => x.label));
    const want = figures(kept.map((x) => run(cut(pixels[x.record]!, c, c, false)).p), kept.map((x) => x.label));
    expect(result.top1Error).toBeCloseTo(want.top1, 12);
    expect(result.loss).toBeCloseTo(want.loss, 5);
    expect(result.confusion).toEqual(want.confusion);
    // Its row of probabilities is the network's answer to the mean image (an input of zeros).
    const zeros = run(new Float32Array(CROP * CROP * 3)).p;
    zeros.forEach((p, k) => expect(result.probabilities[DAMAGED_RECORD * CLASSES + k]!).toBeCloseTo(p, 5));
  });

  it('passes on an error that is not a damaged record, reports progress a batch at a time, and stops when cancelled', async () => {
    const broken = { size: SIZE, image: () => { throw new Error('disk gone'); }, mean: () => meanImage } as unknown as ImageSource;
    await expect(evaluate(model, broken, entries, transform)).rejects.toThrow('disk gone');
    // Ten crops in batches of 30 crops: 3 images a batch.
    const progress: [number, number][] = [];
    await evaluate(model, source(false), entries, transform, { crops: 'ten', batchSize: 30, onProgress: (done, total) => progress.push([done, total]) });
    expect(progress).toEqual([3, 6, 9, 12].map((done) => [done, IMAGES]));
    // Cancelled after the first batch: no more images are read, and it says how far it got.
    const controller = new AbortController();
    let read = 0;
    const counting = { size: SIZE, image: (r: number) => (read++, source(false).image(r)), mean: () => meanImage } as unknown as ImageSource;
    await expect(evaluate(model, counting, entries, transform, { batchSize: 3, onProgress: () => controller.abort(), signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
      code: 'E_CANCELLED',
      message: `The evaluation was cancelled after 3 of ${IMAGES} images.`,
    });
    expect(read).toBe(3);
  });

  it('says nothing about an empty split but that it is empty', async () => {
    const progress: number[] = [];
    const result = await evaluate(model, source(false), [], transform, { onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([]);
    expect(result).toMatchObject({ count: 0, damaged: [], dominantPredictionFraction: 0 });
    expect(result.loss).toBeNaN();
    expect(result.top1Error).toBeNaN();
  });
});
