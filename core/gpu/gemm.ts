// The engine's one matrix-product core on WebGPU: C[m, n] = sum over k of A[m, k] B[k, n], in 64x64 tiles of C per
// workgroup, 16 deep in k. Each of the 256 threads holds a 4x4 block of C in registers (rows ty + 16i, columns
// tx + 16j, so neighbouring threads read neighbouring words of workgroup memory and write neighbouring words of C);
// every value loaded from global memory serves 64 multiply-adds. Shapes are compiled in as constants, so index
// arithmetic divides by constants.
//
// A use of the core supplies WGSL for reading A and B at (m, k) and (k, n) and for storing each finished value: the
// convolutions read their operands in place (implicit GEMM, core/gpu/conv.ts) instead of building im2col columns.
// A long reduction splits over workgroups (workgroup_id.z takes the k range [split * kPerSplit, ...)), each split
// storing a partial result that the caller sums.
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

export const TILE_M = 64;
export const TILE_N = 64;
export const TILE_K = 16;
const THREADS = 16; // per side of the workgroup
const PER_THREAD = TILE_M / THREADS; // 4

export interface GemmSpec {
  /** Unique per WGSL text: every constant the loaders compile in. */
  key: string;
  m: number;
  n: number;
  /** The whole reduction's length. */
  k: number;
  /** The length of each split's share of k (a multiple of TILE_K); k by default (no split). */
  kPerSplit?: number;
  /** WGSL `fn loadA(m : i32, k : i32) -> f32`, called with 0 <= m < M and 0 <= k < K. */
  loadA: string;
  /** WGSL `fn loadB(k : i32, n : i32) -> f32`, called with 0 <= k < K and 0 <= n < N. */
  loadB: string;
  /** Whether consecutive k (rather than m, or n for B) are adjacent in memory: threads then load along k. */
  aAlongK: boolean;
  bAlongK: boolean;
  /** WGSL `fn store(split : i32, m : i32, n : i32, value : f32)`, called once per C value of each split. */
  store: string;
  /** Further WGSL the loaders use (constants, helpers). */
  prelude?: string;
}

/** The number of splits of k a spec's dispatch runs. */
export function splitsOf(spec: GemmSpec): number {
  return Math.ceil(spec.k / (spec.kPerSplit ?? spec.k));
}

/**
 * A k per split that gives about `target` workgroups in all, no fewer than `minimum` k per split and at most
 * `maxSplits` splits: long reductions over few tiles (conv1's filter gradient: 12 tiles, k = 387,200 at batch 128)
 * then still fill the GPU.
 */
export function chooseKPerSplit(m: number, n: number, k: number, { target = 1024, minimum = 256, maxSplits = 256 } = {}): number {
  const tiles = Math.ceil(m / TILE_M) * Math.ceil(n / TILE_N);
  const splits = Math.max(1, Math.min(maxSplits, Math.ceil(target / tiles), Math.floor(k / minimum)));
  return Math.ceil(Math.ceil(k / splits) / TILE_K) * TILE_K;
}

/** A tile load's loop: each thread loads PER_THREAD values of a TILE_K x side tile into `tile[k][side]`. */
function tileLoad(tile: string, side: number, alongK: boolean, inRange: string, load: string): string {
  // e runs over the tile's elements; when alongK, consecutive threads take consecutive k.
  const [kk, other] = alongK ? [`e % ${TILE_K}`, `e / ${TILE_K}`] : [`e / ${side}`, `e % ${side}`];
  return `
        for (var i = 0; i < ${(TILE_K * side) / (THREADS * THREADS)}; i++) {
          let e = t + i * ${THREADS * THREADS};
          let kk = ${kk};
          let o = ${other};
          let k = k0 + kk;
          var v = 0.0;
          if (${inRange}) { v = ${load}; }
          ${tile}[kk][o] = v;
        }`;
}

/** The program for `spec`, writing into an output of `outputShape` (whatever its store addresses). */
export function gemmProgram(spec: GemmSpec, outputShape: number[], variableNames: string[]): WebGPUProgram {
  const kPerSplit = spec.kPerSplit ?? spec.k;
  if (kPerSplit !== spec.k && kPerSplit % TILE_K !== 0) throw new Error(`A split's share of k (${kPerSplit}) must be a multiple of ${TILE_K}.`);
  const splits = splitsOf(spec);
  const dispatch: [number, number, number] = [Math.ceil(spec.n / TILE_N), Math.ceil(spec.m / TILE_M), splits];
  return {
    outputShape,
    shaderKey: `alexnet_gemm_${spec.key}_${spec.m}_${spec.n}_${spec.k}_${kPerSplit}`,
    variableNames,
    workgroupSize: [THREADS, THREADS, 1],
    // A layout of one more dimension than the output: TensorFlow.js then generates no getOutputCoords (the core's
    // threads address C themselves) and no flat-index main.
    dispatchLayout: { x: outputShape.map((_, i) => i), y: [0] },
    dispatch,
    getUserCode: () => `
      const M = ${spec.m};
      const N = ${spec.n};
      const K = ${spec.k};
      const K_PER_SPLIT = ${kPerSplit};
      ${spec.prelude ?? ''}
      ${spec.loadA}
      ${spec.loadB}
      ${spec.store}
      var<workgroup> tileA : array<array<f32, ${TILE_M}>, ${TILE_K}>;
      var<workgroup> tileB : array<array<f32, ${TILE_N}>, ${TILE_K}>;

      fn main() {
        _ = uniforms.NAN; // the bind group always holds TensorFlow.js's uniform buffer; the shaders must use it
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let t = ty * ${THREADS} + tx;
        let m0 = i32(workgroupId.y) * ${TILE_M};
        let n0 = i32(workgroupId.x) * ${TILE_N};
        let split = i32(workgroupId.z);
        let kBegin = split * K_PER_SPLIT;
        let kEnd = min(kBegin + K_PER_SPLIT, K);
        var acc : array<array<f32, ${PER_THREAD}>, ${PER_THREAD}>;
        // A constant trip count keeps the barriers in uniform control flow; the last split's extra tiles load zeros.
        for (var tile = 0; tile < ${Math.ceil(kPerSplit / TILE_K)}; tile++) {
          let k0 = kBegin + tile * ${TILE_K};
          ${tileLoad('tileA', TILE_M, spec.aAlongK, 'k < kEnd && m0 + o < M', 'loadA(m0 + o, k)')}
          ${tileLoad('tileB', TILE_N, spec.bAlongK, 'k < kEnd && n0 + o < N', 'loadB(k, n0 + o)')}
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk++) {
            var a : array<f32, ${PER_THREAD}>;
            var b : array<f32, ${PER_THREAD}>;
            for (var i = 0; i < ${PER_THREAD}; i++) {
              a[i] = tileA[kk][ty + i * ${THREADS}];
              b[i] = tileB[kk][tx + i * ${THREADS}];
            }
            for (var i = 0; i < ${PER_THREAD}; i++) {
              for (var j = 0; j < ${PER_THREAD}; j++) {
                acc[i][j] = fma(a[i], b[j], acc[i][j]);
              }
            }
          }
          workgroupBarrier();
        }
        for (var i = 0; i < ${PER_THREAD}; i++) {
          let m = m0 + ty + i * ${THREADS};
          for (var j = 0; j < ${PER_THREAD}; j++) {
            let n = n0 + tx + j * ${THREADS};
            if (m < M && n < N) { store(split, m, n, acc[i][j]); }
          }
        }
      }`,
  };
}

const FLAT_WORKGROUP = 64;

/**
 * The layout and dispatch of a one-thread-per-element program over `outputShape` (with `size: true`, main(index));
 * TensorFlow.js spreads a dispatch wider than the device's per-dimension limit over y and z itself.
 */
export function flatDispatch(outputShape: number[]): Pick<WebGPUProgram, 'workgroupSize' | 'dispatchLayout' | 'dispatch'> {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return { workgroupSize: [FLAT_WORKGROUP, 1, 1], dispatchLayout: { x: outputShape.map((_, i) => i) }, dispatch: [Math.ceil(size / FLAT_WORKGROUP), 1, 1] };
}

/** What is applied to each summed value before it is stored: a bias per column (the last axis), then a ReLU. */
export interface Epilogue {
  bias?: boolean;
  relu?: boolean;
}

/** WGSL of `epilogue` applied to `value` at flat `index` of an output whose last axis has `columns` entries. */
export function epilogueOf(epilogue: Epilogue, value: string, index: string, columns: number): string {
  const biased = epilogue.bias ? `(${value} + bias[(${index}) % ${columns}])` : value;
  return epilogue.relu ? `max(${biased}, 0.0)` : biased;
}

/** Sums `splits` partial results of the output's size each, then applies `epilogue` (its bias an input 'bias'). */
function sumSplitsProgram(outputShape: number[], splits: number, epilogue: Epilogue): WebGPUProgram {
  const columns = outputShape[outputShape.length - 1]!;
  return {
    outputShape,
    shaderKey: `alexnet_sum_splits_${splits}_${epilogue.bias ? `bias${columns}` : ''}_${epilogue.relu ? 'relu' : ''}`,
    variableNames: epilogue.bias ? ['partial', 'bias'] : ['partial'],
    size: true,
    ...flatDispatch(outputShape),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var s = 0; s < ${splits}; s++) { sum += partial[s * uniforms.size + index]; }
          result[index] = ${epilogueOf(epilogue, 'sum', 'index', columns)};
        }
      }`,
  };
}

/**
 * Runs `program` and, where it wrote `splits` > 1 partial results, sums them into one of `shape`, applying
 * `epilogue` there (its bias the last of `inputs`); a program without splits applies the epilogue as it stores.
 */
export function runSplits(backend: WebGPUBackend, program: WebGPUProgram, inputs: tf.TensorInfo[], shape: number[], splits: number, epilogue: Epilogue = {}): tf.TensorInfo {
  const operands = epilogue.bias && splits > 1 ? inputs.slice(0, -1) : inputs;
  const partial = backend.runWebGPUProgram(program, operands, 'float32');
  if (splits === 1) return partial;
  const summands = epilogue.bias ? [partial, inputs[inputs.length - 1]!] : [partial];
  const result = backend.runWebGPUProgram(sumSplitsProgram([...shape], splits, epilogue), summands, 'float32');
  backend.disposeData(partial.dataId);
  return result;
}
