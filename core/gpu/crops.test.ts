// The GPU's training crops against the host's assembly of the same batch (core/train/augment.ts, the trainer's path
// on every other backend): the same draws from the same seeded generators, the paper's 256 -> 227 crops and the quick
// preset's 2x shrink to 128 then 115 crops, reflections, the colour shift, any input scale. Equal to float32 rounding.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend';
import type { ColourStatistics } from '../dataset/types';
import { downscale, type InputTransform } from '../model/input';
import { Rng } from '../random/rng';
import { drawTrainingCrop, writeTrainingCrop } from '../train/augment';
import { trainingCrops } from './crops';

const CACHE = 256;
const STATISTICS: ColourStatistics = { channelMean: [120, 110, 100], covariance: [], eigenvalues: [3000, 400, 60], eigenvectors: [0.58, -0.71, 0.4, 0.58, 0.02, -0.81, 0.57, 0.7, 0.43] };

let webgpu: string | undefined;
beforeAll(async () => {
  webgpu = await selectBackend('webgpu').then(
    () => undefined,
    (error: Error) => error.message,
  );
});
afterAll(async () => {
  await selectBackend('cpu');
});

describe('training crops on the GPU', () => {
  it.for([
    { name: "the paper's 227 crops of 256 images, colour shift, raw 0..255 inputs", size: 256, crop: 227, scale: 1, pca: true, batch: 5 },
    { name: "the quick preset's 115 crops of 128 images (the cache shrunk 2x), inputs scaled to 0..1", size: 128, crop: 115, scale: 1 / 255, pca: true, batch: 4 },
    { name: 'no colour shift, one image', size: 256, crop: 227, scale: 1, pca: false, batch: 1 },
  ])('equal the host assembly: $name', async (c, context) => {
    if (webgpu !== undefined) return context.skip(`no WebGPU here: ${webgpu}`);
    const rng = new Rng(c.batch * c.size, 'records');
    const records = Array.from({ length: c.batch }, () => Uint8Array.from({ length: CACHE * CACHE * 3 }, () => rng.integer(256)));
    const meanFull = Float32Array.from({ length: CACHE * CACHE * 3 }, () => 60 + rng.uniform() * 120);
    const factor = CACHE / c.size;
    const transform: InputTransform = { size: c.size, crop: c.crop, mean: factor === 1 ? meanFull : downscale(meanFull, CACHE, factor), scale: c.scale };
    const statistics = c.pca ? STATISTICS : undefined;
    const indices = records.map((_r, i) => 17 + i * 3);
    const draws = indices.map((index) => drawTrainingCrop(7, 2, index, transform, statistics));
    // Both reflections and a spread of positions appear in the draws tested.
    if (c.batch >= 4) expect(new Set(draws.map((d) => d.crop.flip)).size).toBe(2);
    const per = c.crop * c.crop * 3;
    const host = new Float32Array(c.batch * per);
    records.forEach((record, i) => writeTrainingCrop(factor === 1 ? record : downscale(record, CACHE, factor), 7, 2, indices[i]!, transform, statistics, host, i * per));
    const mean = tf.tensor1d(transform.mean);
    const gpu = trainingCrops(records, draws, transform, mean, CACHE);
    expect(gpu.shape).toEqual([c.batch, c.crop, c.crop, 3]);
    const values = (await gpu.data()) as Float32Array;
    tf.dispose([gpu, mean]);
    let worst = 0;
    for (let i = 0; i < host.length; i++) worst = Math.max(worst, Math.abs(values[i]! - host[i]!));
    // float32 operations one at a time against float64 rounded once: a few units in the last place of 255.
    expect(worst).toBeLessThanOrEqual(255 * c.scale * 4e-7);
    expect(tf.memory().numTensors).toBe(0);
  });
});
