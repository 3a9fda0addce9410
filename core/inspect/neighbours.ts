// Exact Euclidean nearest neighbours (section 6.1): brute force on the CPU, or candidates from the CPU engine's SIMD
// distances or from tfjs matrix products (on a GPU), re-ranked exactly.
import type * as TF from '@tensorflow/tfjs-core';
import { squaredDistances } from '../cpu/distances';

/** One neighbour: its row in the database and its Euclidean distance to the query. */
export interface Neighbour {
  index: number;
  distance: number;
}

export interface NeighbourOptions {
  /** Leaves a database item out of a query's neighbours (e.g. the query itself when it is in the database). */
  exclude?: (queryIndex: number, databaseIndex: number) => boolean;
}

/**
 * Extra candidates the tfjs search re-ranks beyond k. fp32 rounding in ||q||² + ||x||² - 2 q·x can reorder items whose
 * distances are within rounding of each other; the answer stays exact unless more than this many of them crowd in.
 */
export const CANDIDATE_MARGIN = 16;

export interface TfNeighbourOptions extends NeighbourOptions {
  /** Largest tensor working set of one database chunk, in bytes. Default 64 MiB; at least 1 KiB. */
  chunkBytes?: number;
}

/** Checks the shapes and returns [queryCount, databaseCount]. */
function counts(queries: ArrayLike<number>, database: ArrayLike<number>, dimension: number, k: number): [number, number] {
  if (!Number.isInteger(dimension) || dimension < 1) throw new Error(`Feature dimension ${dimension} is not allowed; use a whole number of at least 1.`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`k ${k} is not allowed; use a whole number of neighbours, at least 1.`);
  if (queries.length % dimension !== 0) throw new Error(`Queries have ${queries.length} values, not a whole number of ${dimension}-dimensional rows.`);
  if (database.length % dimension !== 0) throw new Error(`The database has ${database.length} values, not a whole number of ${dimension}-dimensional rows.`);
  return [queries.length / dimension, database.length / dimension];
}

/** Whether a ranks before b: nearer first, the lower index on a tie. */
function before(a: Neighbour, b: Neighbour): boolean {
  return a.distance < b.distance || (a.distance === b.distance && a.index < b.index);
}

/** Keeps the k best neighbours offered to it, in order (insertion into a sorted list: k is small). */
class Best {
  readonly list: Neighbour[] = [];
  constructor(private readonly k: number) {}

  offer(candidate: Neighbour): void {
    const list = this.list;
    if (list.length === this.k) {
      if (!before(candidate, list[this.k - 1]!)) return;
      list.pop();
    }
    let i = list.length;
    list.push(candidate);
    while (i > 0 && before(candidate, list[i - 1]!)) {
      list[i] = list[i - 1]!;
      i--;
    }
    list[i] = candidate;
  }
}

/** Euclidean distance between row q of `a` and row i of `b`, accumulated in float64. */
function distance(a: ArrayLike<number>, q: number, b: ArrayLike<number>, i: number, dimension: number): number {
  let sum = 0;
  const qa = q * dimension;
  const ib = i * dimension;
  for (let d = 0; d < dimension; d++) {
    const diff = a[qa + d]! - b[ib + d]!;
    sum += diff * diff;
  }
  return Math.sqrt(sum);
}

/**
 * The k nearest database rows of each query row by Euclidean distance, nearest first, ties to the lower index; brute
 * force on the CPU with float64 sums. queries: [queryCount, dimension]; database: [count, dimension]. A query gets
 * fewer than k neighbours only when fewer than k rows are left after exclusions.
 */
export function nearestNeighbours(queries: Float32Array, database: Float32Array, dimension: number, k: number, options: NeighbourOptions = {}): Neighbour[][] {
  const [queryCount, count] = counts(queries, database, dimension, k);
  const { exclude } = options;
  return Array.from({ length: queryCount }, (_, q) => {
    const best = new Best(k);
    for (let i = 0; i < count; i++) if (!exclude?.(q, i)) best.offer({ index: i, distance: distance(queries, q, database, i, dimension) });
    return best.list;
  });
}

/** One database chunk's candidates for one query: database indices, and how many rows the chunk had. */
interface ChunkCandidates {
  rows: number;
  indices: number[];
}

/**
 * For each of `queries` (row indices into `all`), the union over database chunks of each chunk's `wanted` nearest rows
 * by fp32 squared distance, grouped by chunk. Memory stays bounded: a chunk's database rows and its [queries, rows]
 * distance products fit in `chunkBytes`, and at most two chunks are in flight.
 */
async function deviceCandidates(
  tf: typeof TF,
  all: Float32Array,
  queries: number[],
  database: Float32Array,
  dimension: number,
  wanted: number,
  chunkBytes: number,
): Promise<ChunkCandidates[][]> {
  const count = database.length / dimension;
  // Queries are few in practice (one look-up); many go in blocks of a quarter of the budget so that the
  // [block, rows] products stay small too.
  const block = Math.max(1, Math.min(queries.length, Math.floor(chunkBytes / 4 / dimension / 4)));
  // The database chunk [rows, dimension] plus about five [block, rows] intermediates (sum, product, difference,
  // negation, top-k input).
  const rows = Math.max(1, Math.floor(chunkBytes / 4 / (dimension + 5 * block)));
  const result: ChunkCandidates[][] = queries.map(() => []);
  for (let first = 0; first < queries.length; first += block) {
    const members = queries.slice(first, first + block);
    const values = new Float32Array(members.length * dimension);
    members.forEach((q, j) => values.set(all.subarray(q * dimension, (q + 1) * dimension), j * dimension));
    const [q, qNorm] = tf.tidy(() => {
      const q = tf.tensor2d(values, [members.length, dimension]); // [block, dimension]
      return [q, tf.sum(tf.square(q), 1, true)] as [TF.Tensor2D, TF.Tensor]; // qNorm: [block, 1]
    });
    let pending: { indices: TF.Tensor; start: number; rows: number; taken: number } | undefined;
    const collect = async (chunk: { indices: TF.Tensor; start: number; rows: number; taken: number }) => {
      try {
        const found = (await chunk.indices.data()) as Int32Array; // [block, taken]
        for (let j = 0; j < members.length; j++) {
          const list: number[] = [];
          for (let t = 0; t < chunk.taken; t++) list.push(chunk.start + found[j * chunk.taken + t]!);
          result[first + j]!.push({ rows: chunk.rows, indices: list });
        }
      } finally {
        chunk.indices.dispose();
      }
    };
    try {
      for (let start = 0; start < count; start += rows) {
        const n = Math.min(rows, count - start);
        const taken = Math.min(n, wanted);
        const indices = tf.tidy(() => {
          const x = tf.tensor2d(database.subarray(start * dimension, (start + n) * dimension), [n, dimension]);
          const xNorm = tf.reshape(tf.sum(tf.square(x), 1), [1, n]);
          const squared = tf.sub(tf.add(qNorm, xNorm), tf.mul(tf.matMul(q, x, false, true), 2)); // [block, n]
          return tf.topk(tf.neg(squared), taken).indices; // [block, taken]
        });
        const previous = pending;
        pending = { indices, start, rows: n, taken };
        if (previous) await collect(previous);
      }
      if (pending) {
        const last = pending;
        pending = undefined;
        await collect(last);
      }
    } finally {
      if (pending) pending.indices.dispose();
      tf.dispose([q, qNorm]);
    }
  }
  return result;
}

/**
 * The same answer as nearestNeighbours, with the heavy part on the tfjs backend in use (the GPU where there is one).
 * Squared distances ||q||² + ||x||² - 2 q·x come from matrix products over chunks of the database (each chunk's
 * working set under `chunkBytes`, 64 MiB by default); each chunk's best k + CANDIDATE_MARGIN candidates per query
 * (more when `exclude` is given, which may remove some) are then re-ranked with exact float64 distances on the CPU.
 * A query whose chunk lost candidates to exclusions below that margin is searched again with more. fp32 cancellation
 * can only swap items whose distances lie within rounding of each other, so the result equals the CPU brute force
 * unless more than CANDIDATE_MARGIN such items crowd around the k-th neighbour. No tensor outlives the call.
 */
export async function nearestNeighboursTf(
  tf: typeof TF,
  queries: Float32Array,
  database: Float32Array,
  dimension: number,
  k: number,
  options: TfNeighbourOptions = {},
): Promise<Neighbour[][]> {
  const [queryCount, count] = counts(queries, database, dimension, k);
  const { exclude, chunkBytes = 64 * 1024 * 1024 } = options;
  if (!Number.isFinite(chunkBytes) || chunkBytes < 1024) throw new Error(`Chunk size ${chunkBytes} bytes is not allowed; use at least 1024.`);
  const result: Neighbour[][] = Array.from({ length: queryCount }, () => []);
  if (count === 0) return result;
  const enough = k + CANDIDATE_MARGIN;
  let pending = Array.from({ length: queryCount }, (_, q) => q);
  // With exclusions (usually the query itself), take spare candidates at once rather than search twice.
  let wanted = Math.min(count, enough + (exclude ? CANDIDATE_MARGIN : 0));
  while (pending.length > 0) {
    const candidates = await deviceCandidates(tf, queries, pending, database, dimension, wanted, chunkBytes);
    const again: number[] = [];
    let nextWanted = wanted;
    pending.forEach((q, j) => {
      const best = new Best(k);
      let shortfall = 0;
      for (const chunk of candidates[j]!) {
        let usable = 0;
        for (const i of chunk.indices) {
          if (exclude?.(q, i)) continue;
          usable++;
          best.offer({ index: i, distance: distance(queries, q, database, i, dimension) });
        }
        // A chunk that gave all its rows lost nothing; otherwise it must leave `enough` usable candidates, or an
        // item it held back could belong in the answer.
        if (chunk.indices.length < chunk.rows && usable < enough) shortfall = Math.max(shortfall, enough - usable);
      }
      if (shortfall > 0 && wanted < count) {
        again.push(q);
        // At least doubling bounds the passes by log2(count) whatever `exclude` removes.
        nextWanted = Math.max(nextWanted, Math.min(count, Math.max(2 * wanted, wanted + shortfall)));
      } else {
        result[q] = best.list;
      }
    });
    pending = again;
    wanted = nextWanted;
  }
  return result;
}

/**
 * The same answer as nearestNeighbours, from float32 squared distances on the CPU engine's SIMD kernel (the database
 * is read in place when it was allocated by searchableFloats): each query's best k + CANDIDATE_MARGIN rows by those
 * distances, among the rows `exclude` leaves, are re-ranked with exact float64 distances. The differences are
 * squared directly, so float32 can only swap rows whose distances lie within rounding of each other.
 */
export function nearestNeighboursSimd(queries: Float32Array, database: Float32Array, dimension: number, k: number, options: NeighbourOptions = {}): Neighbour[][] {
  const [queryCount, count] = counts(queries, database, dimension, k);
  const { exclude } = options;
  const wanted = Math.min(count, k + CANDIDATE_MARGIN);
  return Array.from({ length: queryCount }, (_, q) => {
    const distances = squaredDistances(queries.subarray(q * dimension, (q + 1) * dimension), database, dimension);
    // The `wanted` smallest distances, kept sorted (insertion: `wanted` is small).
    const rows: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const d = distances[i]!;
      if (rows.length === wanted && !(d < values[wanted - 1]!)) continue;
      if (exclude?.(q, i)) continue;
      let at = rows.length === wanted ? wanted - 1 : rows.length;
      while (at > 0 && values[at - 1]! > d) {
        rows[at] = rows[at - 1]!;
        values[at] = values[at - 1]!;
        at--;
      }
      rows[at] = i;
      values[at] = d;
    }
    const best = new Best(k);
    for (const i of rows) best.offer({ index: i, distance: distance(queries, q, database, i, dimension) });
    return best.list;
  });
}

/**
 * Exact neighbours on the backend in use: tfjs matrix products on a GPU (nearestNeighboursTf), else the CPU engine's
 * SIMD distances (nearestNeighboursSimd), which on a CPU are faster than any tfjs backend's matrix products.
 */
export async function searchNeighbours(
  tf: typeof TF,
  queries: Float32Array,
  database: Float32Array,
  dimension: number,
  k: number,
  options: TfNeighbourOptions = {},
): Promise<Neighbour[][]> {
  if (tf.getBackend() === 'webgpu') return nearestNeighboursTf(tf, queries, database, dimension, k, options);
  return nearestNeighboursSimd(queries, database, dimension, k, options);
}

/**
 * The k images nearest to `query` by Euclidean distance over raw uint8 pixels (the paper's contrast to fc7 distance in
 * section 6.1), nearest first, ties to the lower index. Sums are of integers below 2^53, so distances are exact.
 * `images(i)` returns image i (0 <= i < count) with the query's layout and length, or undefined to leave it out.
 */
export function rawPixelNeighbours(query: Uint8Array, images: (i: number) => Uint8Array | undefined, count: number, k: number): Neighbour[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`Image count ${count} is not allowed; use a whole number, 0 or more.`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`k ${k} is not allowed; use a whole number of neighbours, at least 1.`);
  const best = new Best(k);
  for (let i = 0; i < count; i++) {
    const image = images(i);
    if (image === undefined) continue;
    if (image.length !== query.length) throw new Error(`Image ${i} has ${image.length} pixel values; the query has ${query.length}.`);
    let sum = 0;
    for (let p = 0; p < query.length; p++) {
      const d = query[p]! - image[p]!;
      sum += d * d;
    }
    best.offer({ index: i, distance: Math.sqrt(sum) });
  }
  return best.list;
}
