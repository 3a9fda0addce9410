// Checks kernel scores and grids, exact nearest neighbours (CPU and tfjs) against brute force, and the feature file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import { Rng } from '../random/rng';
import { readFeatureStore, writeFeatureStore } from './feature-store';
import { colourSpecificity, kernelGridPng, towerColourSpecificity, type KernelShape } from './kernels';
import { nearestNeighbours, nearestNeighboursTf, rawPixelNeighbours } from './neighbours';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** HWIO weights for `count` 11x11x3 kernels, kernel k given by f(k, y, x, c). */
function kernels(count: number, f: (k: number, y: number, x: number, c: number) => number): { w: Float32Array; shape: KernelShape } {
  const shape: KernelShape = [11, 11, 3, count];
  const w = new Float32Array(11 * 11 * 3 * count);
  for (let y = 0; y < 11; y++) for (let x = 0; x < 11; x++) for (let c = 0; c < 3; c++) for (let k = 0; k < count; k++) w[((y * 11 + x) * 3 + c) * count + k] = f(k, y, x, c);
  return { w, shape };
}

describe('colour specificity (Figure 3)', () => {
  it('is 0 for a grey kernel, 1 for a kernel with no luminance, and C / T in between', () => {
    const { w, shape } = kernels(3, (k, y, x, c) => {
      const pattern = Math.sin(x + 2 * y);
      if (k === 0) return pattern; // same in R, G and B
      if (k === 1) return [1, -1, 0][c]! * pattern; // channels cancel at every pixel
      return pattern + (c === 0 ? 0.5 * Math.cos(x * y) : 0);
    });
    expect(colourSpecificity(w, shape, 0)).toBeCloseTo(0, 12);
    expect(colourSpecificity(w, shape, 1)).toBeCloseTo(1, 12);
    // Kernel 2 by the definition, in float64.
    let chroma = 0;
    let total = 0;
    let sum = 0;
    for (let y = 0; y < 11; y++) for (let x = 0; x < 11; x++) for (let c = 0; c < 3; c++) sum += w[((y * 11 + x) * 3 + c) * 3 + 2]!;
    const mean = sum / 363;
    for (let y = 0; y < 11; y++) for (let x = 0; x < 11; x++) {
      const v = [0, 1, 2].map((c) => w[((y * 11 + x) * 3 + c) * 3 + 2]!);
      const m = (v[0]! + v[1]! + v[2]!) / 3;
      for (const value of v) {
        chroma += (value - m) ** 2;
        total += (value - mean) ** 2;
      }
    }
    expect(colourSpecificity(w, shape, 2)).toBeCloseTo(chroma / total, 6);
    expect(towerColourSpecificity(w, shape, 0, 2)).toBeCloseTo(0.5, 12);
  });

  it('draws each kernel contrast-stretched in its own cell of a PNG grid', async () => {
    const { w, shape } = kernels(4, (k, y, x) => (k === 2 ? x - 5 : 0.1 * k)); // kernel 2: a horizontal ramp
    const png = await kernelGridPng(w, shape, { columns: 2, scale: 2, padding: 1 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([2 * 22 + 3, 2 * 22 + 3]);
    // Kernel 2 is in row 1, column 0: its left column is the minimum (0) and its right column the maximum (255).
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    const top = 1 + 22 + 1;
    expect(at(1, top + 5)).toEqual([0, 0, 0]);
    expect(at(1 + 21, top + 5)).toEqual([255, 255, 255]);
    expect(at(1, 1)).toEqual([128, 128, 128]); // a constant kernel is mid grey
  });
});

describe('nearest neighbours (section 6.1)', () => {
  const rng = new Rng(4);
  const dimension = 33;
  const count = 300;
  const database = Float32Array.from({ length: count * dimension }, () => Math.max(0, rng.normal()));
  database.set(database.subarray(0, dimension), 7 * dimension); // an exact duplicate of item 0
  const queries = Float32Array.from({ length: 5 * dimension }, () => Math.max(0, rng.normal()));
  queries.set(database.subarray(0, dimension), 0); // query 0 is item 0 itself

  /** The reference: every distance in float64, sorted. */
  function brute(q: number, k: number, exclude?: (i: number) => boolean) {
    const all = [];
    for (let i = 0; i < count; i++) {
      if (exclude?.(i)) continue;
      let s = 0;
      for (let d = 0; d < dimension; d++) s += (queries[q * dimension + d]! - database[i * dimension + d]!) ** 2;
      all.push({ index: i, distance: Math.sqrt(s) });
    }
    return all.sort((a, b) => a.distance - b.distance || a.index - b.index).slice(0, k);
  }

  it('CPU search equals brute force, ties and exclusions included', () => {
    const found = nearestNeighbours(queries, database, dimension, 6, { exclude: (q, i) => q === 0 && i === 0 });
    for (let q = 0; q < 5; q++) expect(found[q]).toEqual(brute(q, 6, q === 0 ? (i) => i === 0 : undefined));
    expect(found[0]![0]).toEqual({ index: 7, distance: 0 });
  });

  it('the tfjs search returns the same neighbours and exact distances, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const found = await nearestNeighboursTf(tf, queries, database, dimension, 6);
    expect(tf.memory().numTensors).toBe(before);
    for (let q = 0; q < 5; q++) {
      const want = brute(q, 6);
      expect(found[q]!.map((n) => n.index)).toEqual(want.map((n) => n.index));
      found[q]!.forEach((n, i) => expect(n.distance).toBeCloseTo(want[i]!.distance, 9));
    }
  });

  it('raw pixel neighbours use exact integer distances', () => {
    const images = Array.from({ length: 20 }, (_, i) => Uint8Array.from({ length: 48 }, (_, p) => (p * (i + 1)) % 256));
    const found = rawPixelNeighbours(images[3]!, (i) => images[i]!, 20, 3);
    expect(found[0]).toEqual({ index: 3, distance: 0 });
    const d = (a: Uint8Array, b: Uint8Array) => Math.sqrt(a.reduce((s, v, p) => s + (v - b[p]!) ** 2, 0));
    const want = images.map((img, index) => ({ index, distance: d(images[3]!, img) })).sort((a, b) => a.distance - b.distance || a.index - b.index);
    expect(found).toEqual(want.slice(0, 3));
  });
});

describe('feature store', () => {
  it('round-trips, and rejects a truncated or altered file naming it', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'features-')), 'features.bin');
    const features = Float32Array.from({ length: 3 * 5 }, (_, i) => i * 0.5 - 2);
    writeFeatureStore(file, { dimension: 5, records: [4, 9, 11], features });
    const back = readFeatureStore(file);
    expect(back.records).toEqual([4, 9, 11]);
    expect(Array.from(back.features)).toEqual(Array.from(features));
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3]! ^= 1;
    fs.writeFileSync(file, bytes);
    expect(() => readFeatureStore(file)).toThrow(new RegExp(`'${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is corrupted`));
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 8));
    expect(() => readFeatureStore(file)).toThrow(/truncated/);
  });
});
