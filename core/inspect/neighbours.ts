// Exact Euclidean nearest neighbours (section 6.1): brute force on the CPU, or GPU candidates re-ranked exactly.
import type * as TF from '@tensorflow/tfjs-core';

export interface Neighbour {
  index: number;
  distance: number;
}

export interface NeighbourOptions {
  /** Leaves a database item out of a query's neighbours (e.g. the query itself). */
  exclude?: (queryIndex: number, databaseIndex: number) => boolean;
}

/** Float64 distance between row q of `a` and row i of `b`. */
function distance(a: ArrayLike<number>, q: number, b: ArrayLike<number>, i: number, dimension: number): number {
  let sum = 0;
  for (let d = 0; d < dimension; d++) {
    const diff = a[q * dimension + d]! - b[i * dimension + d]!;
    sum += diff * diff;
  }
  return Math.sqrt(sum);
}

function best(candidates: Neighbour[], k: number): Neighbour[] {
  return candidates.sort((x, y) => x.distance - y.distance || x.index - y.index).slice(0, k);
}

/** Brute force on the CPU, accumulating in float64. */
export function nearestNeighbours(queries: Float32Array, database: Float32Array, dimension: number, k: number, options: NeighbourOptions = {}): Neighbour[][] {
  const count = database.length / dimension;
  return Array.from({ length: queries.length / dimension }, (_, q) => {
    const all: Neighbour[] = [];
    for (let i = 0; i < count; i++) if (!options.exclude?.(q, i)) all.push({ index: i, distance: distance(queries, q, database, i, dimension) });
    return best(all, k);
  });
}

/** Database rows per matrix product, so that one chunk stays under about 64 MiB. */
function chunkRows(dimension: number): number {
  return Math.max(1, Math.floor((64 * 1024 * 1024) / 4 / dimension));
}

/**
 * On the tfjs backend in use (the GPU where there is one): squared distances ||q||^2 + ||x||^2 - 2 q.x by matrix
 * products over chunks of the database, the best k + 16 candidates per query, then those re-ranked with exact
 * float64 distances. fp32 cancellation can only reorder near-ties, which the re-ranking resolves, so the answer is
 * exact unless more than 16 items tie with the k-th.
 */
export async function nearestNeighboursTf(
  tf: typeof TF,
  queries: Float32Array,
  database: Float32Array,
  dimension: number,
  k: number,
  options: NeighbourOptions = {},
): Promise<Neighbour[][]> {
  const queryCount = queries.length / dimension;
  const count = database.length / dimension;
  const rows = chunkRows(dimension);
  const wanted = Math.min(count, k + 16);
  const candidates: Set<number>[] = Array.from({ length: queryCount }, () => new Set<number>());
  const q = tf.tensor2d(queries, [queryCount, dimension]);
  const qNorm = tf.tidy(() => tf.sum(tf.square(q), 1, true)); // [queries, 1]
  try {
    for (let start = 0; start < count; start += rows) {
      const n = Math.min(rows, count - start);
      const { values, indices } = tf.tidy(() => {
        const x = tf.tensor2d(database.subarray(start * dimension, (start + n) * dimension), [n, dimension]);
        const xNorm = tf.reshape(tf.sum(tf.square(x), 1), [1, n]);
        const squared = tf.sub(tf.add(qNorm, xNorm), tf.mul(tf.matMul(q, x, false, true), 2)); // [queries, n]
        return tf.topk(tf.neg(squared), Math.min(n, wanted));
      });
      const found = (await indices.data()) as Int32Array;
      tf.dispose([values, indices]);
      const per = Math.min(n, wanted);
      for (let r = 0; r < queryCount; r++) for (let j = 0; j < per; j++) candidates[r]!.add(start + found[r * per + j]!);
    }
  } finally {
    tf.dispose([q, qNorm]);
  }
  return candidates.map((set, r) => {
    const exact: Neighbour[] = [];
    for (const i of set) if (!options.exclude?.(r, i)) exact.push({ index: i, distance: distance(queries, r, database, i, dimension) });
    // Excluded items may have taken candidate places: fall back to brute force for this query if too few remain.
    if (exact.length < Math.min(k, count - (options.exclude ? 1 : 0)) && options.exclude) {
      return nearestNeighbours(queries.subarray(r * dimension, (r + 1) * dimension), database, dimension, k, { exclude: (_, i) => options.exclude!(r, i) })[0]!;
    }
    return best(exact, k);
  });
}

/** Nearest images by raw pixel L2 distance over uint8 pixels (integer sums: exact). */
export function rawPixelNeighbours(query: Uint8Array, images: (i: number) => Uint8Array, count: number, k: number): Neighbour[] {
  const all: Neighbour[] = [];
  for (let i = 0; i < count; i++) {
    const image = images(i);
    if (image.length !== query.length) throw new Error(`Image ${i} has ${image.length} values; the query has ${query.length}.`);
    let sum = 0;
    for (let p = 0; p < query.length; p++) {
      const d = query[p]! - image[p]!;
      sum += d * d;
    }
    all.push({ index: i, distance: Math.sqrt(sum) });
  }
  return best(all, k);
}
