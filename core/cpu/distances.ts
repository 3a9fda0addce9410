// Squared Euclidean distances from a query to every row of a feature database on the CPU engine's SIMD kernel
// (kernels/distance.c), reading the database in place when it lives in a WebAssembly memory made for it.
import { instantiateKernels, simdSupported, webAssembly, type KernelExports, type Pointer, type WasmMemory } from './kernel-module';

const PAGE = 65536;
/** The largest memory one WebAssembly instance may address, less room for a query and its distances. */
const MAX_MEMORY_BYTES = 4 * 1024 ** 3 - 64 * 1024 ** 2;
/** Rows copied at a time when a database does not live in such a memory. */
const CHUNK_BYTES = 32 * 1024 ** 2;

interface Place {
  kernels: KernelExports;
  memory: WasmMemory;
  /** Byte offset of the rows, and of the room after them for one query and its distances. */
  rows: Pointer;
  scratch: Pointer;
  scratchBytes: number;
}

/** Memories made by searchableFloats, by their buffer. */
const places = new WeakMap<ArrayBufferLike, Place>();
let chunkPlace: Place | undefined;

function makePlace(rowBytes: number, scratchBytes: number): Place {
  const pages = Math.ceil((rowBytes + scratchBytes) / PAGE) || 1;
  const memory = new webAssembly.Memory({ initial: pages, maximum: pages });
  return { kernels: instantiateKernels(memory), memory, rows: 0, scratch: rowBytes, scratchBytes: pages * PAGE - rowBytes };
}

/**
 * A zeroed Float32Array for `rows` rows of `dimension` values that the distance kernel reads where it lies: a view
 * on a WebAssembly memory of its own (with room for a query and its distances), or a plain array when SIMD is
 * missing or the rows would not fit one memory (they are then searched in chunks).
 */
export function searchableFloats(rows: number, dimension: number): Float32Array {
  const bytes = rows * dimension * 4;
  const scratchBytes = (dimension + rows) * 4 + 64;
  if (bytes === 0 || bytes + scratchBytes > MAX_MEMORY_BYTES || !simdSupported()) return new Float32Array(rows * dimension);
  const place = makePlace(Math.ceil(bytes / 64) * 64, scratchBytes);
  const array = new Float32Array(place.memory.buffer, 0, rows * dimension);
  places.set(place.memory.buffer, place);
  return array;
}

/**
 * out[i] = sum over d of (database[i, d] - query[d])^2 in float32, for every row of `database` ([rows, dimension]).
 * Differences are squared directly (no |x|^2 + |q|^2 - 2 x.q cancellation); callers re-rank the nearest in float64.
 */
export function squaredDistances(query: Float32Array, database: Float32Array, dimension: number): Float32Array {
  if (query.length !== dimension) throw new Error(`The query has ${query.length} values; the database's rows have ${dimension}.`);
  if (database.length % dimension !== 0) throw new Error(`The database has ${database.length} values, not a whole number of ${dimension}-dimensional rows.`);
  const rows = database.length / dimension;
  const out = new Float32Array(rows);
  if (rows === 0) return out;
  if (!simdSupported()) {
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let d = 0; d < dimension; d++) sum += (database[i * dimension + d]! - query[d]!) ** 2;
      out[i] = sum;
    }
    return out;
  }
  const own = places.get(database.buffer);
  if (own && database.byteOffset === own.rows) {
    run(own, own.rows, rows, dimension, query, out, 0);
    return out;
  }
  // Chunks of rows copied into a memory kept for the purpose.
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / (dimension * 4)));
  const rowBytes = Math.ceil((Math.min(rows, rowsPerChunk) * dimension * 4) / 64) * 64;
  const scratchBytes = (dimension + rowsPerChunk) * 4 + 64;
  if (!chunkPlace || chunkPlace.scratch < rowBytes || chunkPlace.scratchBytes < scratchBytes) chunkPlace = makePlace(Math.max(rowBytes, CHUNK_BYTES), scratchBytes);
  for (let start = 0; start < rows; start += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - start);
    new Float32Array(chunkPlace.memory.buffer, 0, n * dimension).set(database.subarray(start * dimension, (start + n) * dimension));
    run(chunkPlace, 0, n, dimension, query, out, start);
  }
  return out;
}

function run(place: Place, rowsAt: Pointer, rows: number, dimension: number, query: Float32Array, out: Float32Array, outStart: number): void {
  const queryAt = place.scratch;
  const distancesAt = queryAt + Math.ceil((dimension * 4) / 64) * 64;
  new Float32Array(place.memory.buffer, queryAt, dimension).set(query);
  place.kernels.squared_distances(rowsAt, rows, dimension, queryAt, distancesAt, 0, 1);
  out.set(new Float32Array(place.memory.buffer, distancesAt, rows), outStart);
}
