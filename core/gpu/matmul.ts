// The fully connected layers' matrix products on WebGPU, on the engine's one GEMM core (core/gpu/gemm.ts):
// registered over TensorFlow.js's BatchMatMul for the webgpu backend (a single matrix each side, either transposed;
// a batch of products goes to the stock kernel), plus the layer's forward with its bias (and ReLU) applied as each
// value is stored (AlexNetMatMulBias) and the products of its gradients through that ReLU (AlexNetMatMulRelu: one
// operand is dy, read where the layer's output is positive and as 0 elsewhere, so the masked dy is never stored).
//
// For the layer y = ReLU(x W + b), x [batch, in], W [in, out]:
//   forward          y  = x W                 M = batch, N = out, K = in (split when few tiles and a long K)
//   input gradient   dx = mask(dy) W^T        M = batch, N = in,  K = out
//   weight gradient  dW = x^T mask(dy)        M = in,    N = out, K = batch
// A long reduction over few tiles (fc6's forward: 64 tiles at batch 128, K = 9216) splits over workgroups; the
// split sums then add the bias and apply the ReLU.
import type * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { chooseKPerSplit, epilogueOf, gemmProgram, runSplits, splitsOf, type Epilogue, type GemmSpec } from './gemm';
import { registerWebGpuKernels, stockKernel, type Kernel, type KernelArgs } from './registry';

/** Given a, b and a bias, with attribute `relu`: a b + bias, and its ReLU where `relu`. */
export const MATMUL_BIAS_KERNEL = 'AlexNetMatMulBias';
/** Given a, b and `activation` (the layer's output, the shape of whichever operand is dy): a product through the ReLU. */
export const MATMUL_RELU_KERNEL = 'AlexNetMatMulRelu';

interface Product {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  /** The output shape TensorFlow.js gives the product (rank 2 or 3). */
  shape: number[];
}

/** The product's sizes, or undefined where a or b holds more than one matrix (left to the stock kernel). */
function productOf(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): Product | undefined {
  const [ra, rb] = [a.shape.length, b.shape.length];
  const outer = (shape: number[]) => shape.slice(0, -2).reduce((x, y) => x * y, 1);
  if (outer(a.shape) !== 1 || outer(b.shape) !== 1) return undefined;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) throw new Error(`A matrix product needs equal inner sizes; got a [${a.shape}] and b [${b.shape}] (transposeA ${transposeA}, transposeB ${transposeB}).`);
  const batchShape = (ra > rb ? a.shape : b.shape).slice(0, -2);
  return { m, n, k, transposeA, transposeB, shape: [...batchShape, m, n] };
}

/** Which operand, if any, is dy read through the ReLU whose output is the input `activation`. */
type Masked = 'a' | 'b' | undefined;

function run(backend: WebGPUBackend, p: Product, inputs: tf.TensorInfo[], epilogue: Epilogue, masked: Masked): tf.TensorInfo {
  const read = (operand: string, index: string) => (masked === operand ? `select(0.0, ${operand}[${index}], activation[${index}] > 0.0)` : `${operand}[${index}]`);
  const spec: GemmSpec = {
    key: `matmul_${p.transposeA ? 't' : 'n'}${p.transposeB ? 't' : 'n'}_${masked ?? ''}_${epilogue.bias ? 'bias' : ''}_${epilogue.relu ? 'relu' : ''}`,
    m: p.m,
    n: p.n,
    k: p.k,
    kPerSplit: chooseKPerSplit(p.m, p.n, p.k),
    loadA: `fn loadA(m : i32, k : i32) -> f32 { return ${read('a', p.transposeA ? 'k * M + m' : 'm * K + k')}; }`,
    loadB: `fn loadB(k : i32, n : i32) -> f32 { return ${read('b', p.transposeB ? 'n * K + k' : 'k * N + n')}; }`,
    aAlongK: !p.transposeA,
    bAlongK: p.transposeB,
    store: '',
  };
  const splits = splitsOf(spec);
  spec.store =
    splits === 1
      ? `fn store(split : i32, m : i32, n : i32, value : f32) { result[m * N + n] = ${epilogueOf(epilogue, 'value', 'n', p.n)}; }`
      : 'fn store(split : i32, m : i32, n : i32, value : f32) { result[(split * M + m) * N + n] = value; }';
  const names = ['a', 'b', ...(masked ? ['activation'] : []), ...(epilogue.bias && splits === 1 ? ['bias'] : [])];
  const program = gemmProgram(spec, splits === 1 ? p.shape : [splits, p.m, p.n], names);
  return runSplits(backend, program, inputs, p.shape, splits, epilogue);
}

interface MatMulAttributes {
  transposeA?: boolean;
  transposeB?: boolean;
}

function batchMatMul(args: KernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as MatMulAttributes;
  const p = productOf(a, b, transposeA, transposeB);
  if (!p) return stockKernel('BatchMatMul')(args) as tf.TensorInfo;
  return run(args.backend as WebGPUBackend, p, [a, b], {}, undefined);
}

function matMulBias(args: KernelArgs): tf.TensorInfo {
  const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias: tf.TensorInfo };
  const { relu = false } = (args.attrs ?? {}) as { relu?: boolean };
  const p = productOf(a, b, false, false);
  if (!p || a.shape.length !== 2 || bias.shape.length !== 1 || bias.shape[0] !== p.n) {
    throw new Error(`${MATMUL_BIAS_KERNEL} takes a [batch, in], b [in, out] and a bias [out]; got [${a.shape}], [${b.shape}], [${bias.shape}].`);
  }
  return run(args.backend as WebGPUBackend, p, [a, b, bias], { bias: true, relu }, undefined);
}

function matMulRelu(args: KernelArgs): tf.TensorInfo {
  const { a, b, activation } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; activation: tf.TensorInfo };
  const { transposeA = false, transposeB = false, masked } = (args.attrs ?? {}) as MatMulAttributes & { masked?: 'a' | 'b' };
  const p = productOf(a, b, transposeA, transposeB);
  const dy = masked === 'a' ? a : masked === 'b' ? b : undefined;
  if (!p || !dy || dy.shape.join() !== activation.shape.join()) {
    throw new Error(`${MATMUL_RELU_KERNEL} takes two matrices, 'masked' naming the one that is dy ('a' or 'b'), and an activation of dy's shape; got [${a.shape}], [${b.shape}], masked ${String(masked)}, activation [${activation.shape}].`);
  }
  return run(args.backend as WebGPUBackend, p, [a, b, activation], {}, masked);
}

const KERNELS: [string, Kernel][] = [
  ['BatchMatMul', batchMatMul],
  [MATMUL_BIAS_KERNEL, matMulBias],
  [MATMUL_RELU_KERNEL, matMulRelu],
];

/** Puts the kernels above over TensorFlow.js's for the webgpu backend. */
export function registerMatMulKernels(): void {
  registerWebGpuKernels(KERNELS);
}
