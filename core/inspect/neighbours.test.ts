// Checks exact nearest neighbours, on the CPU, on the CPU engine's SIMD distances and through tfjs, against a plain
// float64 brute force written here.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { searchableFloats, squaredDistances } from '../cpu/distances';
import { nearestNeighbours, nearestNeighboursSimd, nearestNeighboursTf, rawPixelNeighbours, searchNeighbours, type Neighbour } from './neighbours';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Every distance in float64, sorted by (distance, index), minus exclusions: the reference. */
function bruteForce(queries: Float32Array, database: Float32Array, dimension: number, k: number, exclude?: (q: number, i: number) => boolean): Neighbour[][] {
  const answers: Neighbour[][] = [];
  for (let q = 0; q < queries.length / dimension; q++) {
    const all: Neighbour[] = [];
    for (let i = 0; i < database.length / dimension; i++) {
      if (exclude?.(q, i)) continue;
      let s = 0;
      for (let d = 0; d < dimension; d++) s += (queries[q * dimension + d]! - database[i * dimension + d]!) ** 2;
      all.push({ index: i, distance: Math.sqrt(s) });
    }
    answers.push(all.sort((a, b) => a.distance - b.distance || a.index - b.index).slice(0, k));
  }
  return answers;
}

/** Non-negative features like fc7 after ReLU, with duplicated rows (exact ties) and queries taken from the database. */
function data(seed: number, count: number, dimension: number, queryCount: number) {
  const rng = new Rng(seed, 'neighbours');
  const database = Float32Array.from({ length: count * dimension }, () => Math.max(0, rng.normal(0.5, 1)));
  for (const [from, to] of [[0, 7], [0, 150], [3, 4], [20, 21], [20, 22]]) database.copyWithin(to! * dimension, from! * dimension, (from! + 1) * dimension);
  const queries = Float32Array.from({ length: queryCount * dimension }, () => Math.max(0, rng.normal(0.5, 1)));
  queries.set(database.subarray(0, dimension), 0); // query 0 is item 0 (and 7 and 150)
  queries.set(database.subarray(20 * dimension, 21 * dimension), dimension); // query 1 is item 20 (and 21, 22)
  // Query 2 is item 3, which equals item 4.
  for (let d = 0; d < dimension; d++) queries[2 * dimension + d] = database[3 * dimension + d]!;
  return { database, queries };
}

describe('nearestNeighbours (CPU)', () => {
  const dimension = 33;
  const { database, queries } = data(9, 300, dimension, 6);

  it('equals the brute force, with exact ties broken by the lower index', () => {
    const found = nearestNeighbours(queries, database, dimension, 6);
    expect(found).toEqual(bruteForce(queries, database, dimension, 6));
    expect(found[0]!.slice(0, 3)).toEqual([{ index: 0, distance: 0 }, { index: 7, distance: 0 }, { index: 150, distance: 0 }]);
    expect(found[1]!.slice(0, 3).map((n) => n.index)).toEqual([20, 21, 22]);
  });

  it('leaves out excluded items, and returns fewer than k when fewer remain', () => {
    const exclude = (q: number, i: number) => i === q * 20 || (q === 3 && i % 3 !== 0);
    expect(nearestNeighbours(queries, database, dimension, 8, { exclude })).toEqual(bruteForce(queries, database, dimension, 8, exclude));
    const small = database.subarray(0, 4 * dimension);
    expect(nearestNeighbours(queries, small, dimension, 10, { exclude: (_, i) => i === 1 })[5]!.map((n) => n.index).sort()).toEqual([0, 2, 3]);
  });

  it('refuses rows that do not match the dimension', () => {
    expect(() => nearestNeighbours(queries.subarray(1), database, dimension, 3)).toThrow(/Queries have 197 values, not a whole number of 33-dimensional rows/);
    expect(() => nearestNeighbours(queries, database, dimension, 0)).toThrow(/k 0 is not allowed/);
  });
});

describe('nearestNeighboursTf (tfjs CPU backend)', () => {
  const dimension = 33;
  const { database, queries } = data(10, 400, dimension, 6);

  /** Same indices as the float64 reference, and distances within 1e-9 relative. */
  function expectSame(found: Neighbour[][], want: Neighbour[][]): void {
    expect(found.map((list) => list.map((n) => n.index))).toEqual(want.map((list) => list.map((n) => n.index)));
    found.forEach((list, q) => list.forEach((n, j) => expect(Math.abs(n.distance - want[q]![j]!.distance)).toBeLessThanOrEqual(1e-9 * want[q]![j]!.distance)));
  }

  it('gives the brute force neighbours and their float64 distances, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const found = await nearestNeighboursTf(tf, queries, database, dimension, 6);
    expect(tf.memory().numTensors).toBe(before);
    expectSame(found, bruteForce(queries, database, dimension, 6));
    // fp32 distances from ||q||² + ||x||² - 2 q·x would not be 0 for the duplicates; the float64 re-ranking is.
    expect(found[0]!.slice(0, 3)).toEqual([{ index: 0, distance: 0 }, { index: 7, distance: 0 }, { index: 150, distance: 0 }]);
  });

  it('stays exact over many small chunks, with exclusions that take most candidates (a second search)', async () => {
    const before = tf.memory().numTensors;
    // 2 KiB chunks: a handful of rows each, so candidates come from dozens of chunks.
    const exclude = (q: number, i: number) => i === q * 20 || (q === 4 && i % 4 !== 0) || (q === 5 && i < 390);
    for (const k of [1, 5, 12]) {
      const found = await nearestNeighboursTf(tf, queries, database, dimension, k, { exclude, chunkBytes: 2048 });
      expectSame(found, bruteForce(queries, database, dimension, k, exclude));
    }
    // One big chunk: the exclusions of query 4 leave fewer than k + 16 of its candidates, forcing a second pass.
    const found = await nearestNeighboursTf(tf, queries, database, dimension, 10, { exclude });
    expectSame(found, bruteForce(queries, database, dimension, 10, exclude));
    expect(found[5]).toHaveLength(10);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is exact where fp32 cancellation scrambles the nearest items', async () => {
    // Every item sits near (30, ..., 30), so ||x||² is about 30000 and fp32 rounds squared distances to ~0.004; twelve
    // items lie at squared distances 0.0005, 0.0010, ..., 0.0060, which fp32 cannot tell apart.
    const rng = new Rng(12, 'cancellation');
    const count = 200;
    const base = Float32Array.from({ length: dimension }, () => 30 + rng.uniform());
    const database = new Float32Array(count * dimension);
    const order = rng.permutation(count);
    for (let r = 0; r < count; r++) {
      const scale = r < 12 ? Math.sqrt((0.0005 * (r + 1)) / dimension) : 1 + rng.uniform();
      for (let d = 0; d < dimension; d++) database[order[r]! * dimension + d] = base[d]! + scale * (rng.uniform() < 0.5 ? -1 : 1);
    }
    const want = bruteForce(base, database, dimension, 3);
    // The data does defeat fp32: its own top 3 differ from the true ones.
    const fp32 = tf.tidy(() => {
      const x = tf.tensor2d(database, [count, dimension]);
      const q = tf.tensor2d(base, [1, dimension]);
      const squared = tf.sub(tf.add(tf.sum(tf.square(q), 1, true), tf.reshape(tf.sum(tf.square(x), 1), [1, count])), tf.mul(tf.matMul(q, x, false, true), 2));
      return tf.topk(tf.neg(squared), 3).indices;
    });
    expect(Array.from(await fp32.data())).not.toEqual(want[0]!.map((n) => n.index));
    fp32.dispose();
    expectSame(await nearestNeighboursTf(tf, base, database, dimension, 3), want);
  });

  it('handles a database smaller than k + 16 and a block of many queries', async () => {
    const small = database.subarray(0, 9 * dimension);
    expectSame(await nearestNeighboursTf(tf, queries, small, dimension, 4), bruteForce(queries, small, dimension, 4));
    // 120 queries, each excluding itself; a 16 KiB budget makes blocks of 31 queries and chunks of 21 rows.
    const many = database.subarray(0, 120 * dimension);
    const found = await nearestNeighboursTf(tf, many, database, dimension, 3, { exclude: (q, i) => q === i, chunkBytes: 1 << 14 });
    expectSame(found, bruteForce(many, database, dimension, 3, (q, i) => q === i));
  });

  it('refuses a chunk budget that is too small', async () => {
    await expect(nearestNeighboursTf(tf, queries, database, dimension, 3, { chunkBytes: 10 })).rejects.toThrow(/Chunk size 10 bytes/);
  });
});

describe('nearestNeighboursSimd (the CPU engine)', () => {
  const dimension = 37; // not a multiple of the kernel's 16 lanes
  const { database, queries } = data(13, 500, dimension, 7);

  function expectSame(found: Neighbour[][], want: Neighbour[][]): void {
    expect(found.map((list) => list.map((n) => n.index))).toEqual(want.map((list) => list.map((n) => n.index)));
    found.forEach((list, q) => list.forEach((n, j) => expect(n.distance).toBe(want[q]![j]!.distance)));
  }

  it('squares differences in float32, within rounding of the float64 distances, in place or copied in chunks', () => {
    const placed = searchableFloats(500, dimension);
    placed.set(database);
    const query = queries.subarray(3 * dimension, 4 * dimension);
    for (const rows of [database, placed]) {
      const got = squaredDistances(query, rows, dimension);
      expect(got).toHaveLength(500);
      for (let i = 0; i < 500; i++) {
        let want = 0;
        for (let d = 0; d < dimension; d++) want += (database[i * dimension + d]! - query[d]!) ** 2;
        expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(1e-5 * want + 1e-30);
      }
    }
    expect(() => squaredDistances(query.subarray(1), database, dimension)).toThrow(/The query has 36 values; the database's rows have 37/);
  });

  it('gives the brute force neighbours with their float64 distances, with and without exclusions', () => {
    const placed = searchableFloats(500, dimension);
    placed.set(database);
    for (const rows of [database, placed]) {
      for (const k of [1, 6, 30]) expectSame(nearestNeighboursSimd(queries, rows, dimension, k), bruteForce(queries, database, dimension, k));
      const exclude = (q: number, i: number) => i === q * 20 || (q === 4 && i % 4 !== 0) || (q === 5 && i < 490);
      expectSame(nearestNeighboursSimd(queries, rows, dimension, 12, { exclude }), bruteForce(queries, database, dimension, 12, exclude));
    }
    expect(nearestNeighboursSimd(queries, database.subarray(0, 3 * dimension), dimension, 8)[0]).toHaveLength(3);
  });

  it('is exact where float32 rounding scrambles the nearest items', () => {
    // Twelve items at squared distances 1e-7 .. 1.2e-6 from the query, on values of about 30: float32 differences
    // of such values are exact only to about 2e-6, so their float32 order is noise; the float64 re-ranking is not.
    const rng = new Rng(14, 'rounding');
    const count = 300;
    const base = Float32Array.from({ length: dimension }, () => 30 + rng.uniform());
    const rows = new Float32Array(count * dimension);
    const order = rng.permutation(count);
    for (let r = 0; r < count; r++) {
      for (let d = 0; d < dimension; d++) rows[order[r]! * dimension + d] = base[d]! + (r < 12 ? (d === r ? 4e-6 * (r + 1) : 0) : 1 + rng.uniform());
    }
    expectSame(nearestNeighboursSimd(base, rows, dimension, 5), bruteForce(base, rows, dimension, 5));
  });

  it('is what searchNeighbours uses on a CPU backend', async () => {
    expectSame(await searchNeighbours(tf, queries, database, dimension, 6), bruteForce(queries, database, dimension, 6));
  });
});

describe('rawPixelNeighbours', () => {
  it('equals the brute force over uint8 pixels, duplicates included', () => {
    const rng = new Rng(11, 'pixels');
    const images = Array.from({ length: 40 }, () => Uint8Array.from({ length: 5 * 5 * 3 }, () => rng.integer(256)));
    images[17] = images[3]!.slice();
    const query = images[3]!;
    const found = rawPixelNeighbours(query, (i) => images[i]!, images.length, 5);
    const want = images
      .map((image, index) => ({ index, distance: Math.sqrt(image.reduce((s, v, p) => s + (v - query[p]!) ** 2, 0)) }))
      .sort((a, b) => a.distance - b.distance || a.index - b.index)
      .slice(0, 5);
    expect(found).toEqual(want);
    expect(found.slice(0, 2)).toEqual([{ index: 3, distance: 0 }, { index: 17, distance: 0 }]);
  });

  it('is exact for the largest distances between 227x227 crops', () => {
    const pixels = 227 * 227 * 3;
    const black = new Uint8Array(pixels);
    const white = new Uint8Array(pixels).fill(255);
    const almost = white.slice();
    almost[pixels - 1] = 254; // differs from white by one level in one value: 255² * pixels - (255² - 254²)
    const found = rawPixelNeighbours(black, (i) => [white, almost][i]!, 2, 2);
    expect(found).toEqual([
      { index: 1, distance: Math.sqrt(255 * 255 * (pixels - 1) + 254 * 254) },
      { index: 0, distance: Math.sqrt(255 * 255 * pixels) },
    ]);
  });

  it('refuses images whose size differs from the query', () => {
    expect(() => rawPixelNeighbours(new Uint8Array(12), () => new Uint8Array(9), 1, 1)).toThrow(/Image 0 has 9 pixel values; the query has 12/);
  });

  it('passes over images it is not given, and refuses counts and k that are not whole', () => {
    const query = Uint8Array.from([10, 20, 30]);
    const images = [Uint8Array.from([10, 20, 31]), undefined, Uint8Array.from([0, 0, 0]), Uint8Array.from([10, 20, 30])];
    expect(rawPixelNeighbours(query, (i) => images[i], images.length, 3)).toEqual([{ index: 3, distance: 0 }, { index: 0, distance: 1 }, { index: 2, distance: Math.sqrt(1400) }]);
    expect(rawPixelNeighbours(query, () => query, 0, 2)).toEqual([]);
    expect(() => rawPixelNeighbours(query, () => query, -1, 2)).toThrow('Image count -1 is not allowed; use a whole number, 0 or more.');
    expect(() => rawPixelNeighbours(query, () => query, 1.5, 2)).toThrow('Image count 1.5 is not allowed');
    expect(() => rawPixelNeighbours(query, () => query, 1, 0)).toThrow('k 0 is not allowed; use a whole number of neighbours, at least 1.');
    expect(() => rawPixelNeighbours(query, () => query, 1, 2.5)).toThrow('k 2.5 is not allowed');
  });
});

describe('every search', () => {
  it('refuses a dimension, k or database that is not whole, naming it', async () => {
    const searches = [
      (q: Float32Array, d: Float32Array, dim: number, k: number) => Promise.resolve().then(() => nearestNeighbours(q, d, dim, k)),
      (q: Float32Array, d: Float32Array, dim: number, k: number) => Promise.resolve().then(() => nearestNeighboursSimd(q, d, dim, k)),
      (q: Float32Array, d: Float32Array, dim: number, k: number) => nearestNeighboursTf(tf, q, d, dim, k),
    ];
    const four = new Float32Array(4);
    for (const search of searches) {
      await expect(search(four, four, 0, 1)).rejects.toThrow('Feature dimension 0 is not allowed; use a whole number of at least 1.');
      await expect(search(four, four, 1.5, 1)).rejects.toThrow('Feature dimension 1.5 is not allowed');
      await expect(search(four, four, 2, 0)).rejects.toThrow('k 0 is not allowed');
      await expect(search(four, new Float32Array(5), 2, 1)).rejects.toThrow('The database has 5 values, not a whole number of 2-dimensional rows.');
      // One dimension is a dimension; an empty database gives every query an empty list.
      expect(await search(Float32Array.from([1, 5]), Float32Array.from([4, 0, 6]), 1, 2)).toEqual([
        [{ index: 1, distance: 1 }, { index: 0, distance: 3 }],
        [{ index: 0, distance: 1 }, { index: 2, distance: 1 }], // a tie: the lower index first
      ]);
      expect(await search(Float32Array.from([1, 5]), new Float32Array(0), 1, 2)).toEqual([[], []]);
    }
  });
});
