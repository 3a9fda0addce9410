// PyTorch's layout of the network's parameters (resources/cluster-job/train_ddp.py, bench/reference_train.py) into the
// workbench's (core/model/alexnet.ts), for weights trained by a cluster job.
//
// PyTorch holds each conv layer as one grouped convolution: weight [outputs of both towers, inputs per group, k, k]
// (OIHW), tower a's kernels first; the workbench holds one HWIO kernel [k, k, inputs, outputs] per tower. fc6's
// inputs are pool5 flattened channels first (NCHW: channel c, row h, column w is input c * side^2 + h * side + w);
// the workbench flattens NHWC with the towers' channels side by side ((h * side + w) * channels + c). Dense weights
// are [out, in] there and [in, out] here.
import { parameterSpecs, type ParameterSpec } from '../model/alexnet';
import type { ModelConfig } from '../model/config';

/** A parameter as PyTorch names and shapes it (model.named_parameters()). */
export interface TorchParameter {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The workbench's conv and dense layers against the names of the PyTorch modules. */
const MODULES: Record<string, string> = { conv1: 'conv.0', conv2: 'conv.1', conv3: 'conv.2', conv4: 'conv.3', conv5: 'conv.4', fc6: 'fc6', fc7: 'fc7', fc8: 'fc8' };
const TOWERS = ['a', 'b'];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The PyTorch parameter names and shapes of a configuration, in named_parameters() order. */
export function torchShapes(config: ModelConfig): { name: string; shape: number[] }[] {
  const specs = new Map(parameterSpecs(config).map((s) => [s.name, s]));
  const out: { name: string; shape: number[] }[] = [];
  for (const [layer, module] of Object.entries(MODULES)) {
    if (layer.startsWith('conv')) {
      const [k, , inputs, outputs] = specs.get(`${layer}/a/kernel`)!.shape as [number, number, number, number];
      out.push({ name: `${module}.weight`, shape: [outputs * config.towers, inputs, k, k] });
      out.push({ name: `${module}.bias`, shape: [outputs * config.towers] });
    } else {
      const [inputs, outputs] = specs.get(`${layer}/kernel`)!.shape as [number, number];
      out.push({ name: `${module}.weight`, shape: [outputs, inputs] });
      out.push({ name: `${module}.bias`, shape: [outputs] });
    }
  }
  return out;
}

/** One tower's HWIO kernel from a grouped OIHW weight: outputs [tower * outputs, (tower + 1) * outputs). */
export function towerKernelFromTorch(weight: Float32Array, shape: readonly number[], tower: number, towers: number): Float32Array {
  const [total, inputs, kh, kw] = shape as [number, number, number, number];
  const outputs = total / towers;
  const out = new Float32Array(kh * kw * inputs * outputs);
  for (let o = 0; o < outputs; o++) {
    const source = (tower * outputs + o) * inputs * kh * kw;
    for (let i = 0; i < inputs; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) out[((y * kw + x) * inputs + i) * outputs + o] = weight[source + (i * kh + y) * kw + x]!;
      }
    }
  }
  return out;
}

/**
 * The workbench's parameters (name -> values, in parameterSpecs order) from PyTorch's. Every parameter must be there
 * with the shape the configuration gives it; anything else is an error naming the parameter.
 */
export function fromTorch(config: ModelConfig, parameters: readonly TorchParameter[]): Map<string, Float32Array> {
  const byName = new Map(parameters.map((p) => [p.name, p]));
  const expected = torchShapes(config);
  for (const e of expected) {
    const p = byName.get(e.name);
    if (!p) throw new Error(`The trained weights have no '${e.name}'; the ${config.preset} model needs ${expected.map((x) => x.name).join(', ')}.`);
    if (!same(p.shape, e.shape)) throw new Error(`The trained weights' '${e.name}' has shape [${p.shape.join(', ')}]; the ${config.preset} model of this job needs [${e.shape.join(', ')}].`);
    if (p.values.length !== size(e.shape)) throw new Error(`The trained weights' '${e.name}' has ${p.values.length} values; its shape needs ${size(e.shape)}.`);
  }
  const extra = parameters.find((p) => !expected.some((e) => e.name === p.name));
  if (extra) throw new Error(`The trained weights have '${extra.name}', which the ${config.preset} model does not have.`);

  const specs: ParameterSpec[] = parameterSpecs(config);
  const pool5 = specs.find((s) => s.name === 'fc6/kernel')!.shape[0]!;
  const channels = byName.get('conv.4.weight')!.shape[0]!;
  const side = Math.round(Math.sqrt(pool5 / channels));
  const named = new Map<string, Float32Array>();
  for (const [layer, module] of Object.entries(MODULES)) {
    const weight = byName.get(`${module}.weight`)!;
    const bias = byName.get(`${module}.bias`)!;
    if (layer.startsWith('conv')) {
      const outputs = weight.shape[0]! / config.towers;
      for (let t = 0; t < config.towers; t++) {
        named.set(`${layer}/${TOWERS[t]}/kernel`, towerKernelFromTorch(weight.values, weight.shape, t, config.towers));
        named.set(`${layer}/${TOWERS[t]}/bias`, bias.values.slice(t * outputs, (t + 1) * outputs));
      }
      continue;
    }
    const [outputs, inputs] = weight.shape as [number, number];
    const kernel = new Float32Array(inputs * outputs);
    for (let i = 0; i < inputs; i++) {
      // The workbench's input i of fc6 is pool5's (h, w, c); PyTorch numbers it c * side^2 + h * side + w.
      let source = i;
      if (layer === 'fc6') {
        const c = i % channels;
        const hw = (i - c) / channels;
        source = c * side * side + hw;
      }
      for (let o = 0; o < outputs; o++) kernel[i * outputs + o] = weight.values[o * inputs + source]!;
    }
    named.set(`${layer}/kernel`, kernel);
    named.set(`${layer}/bias`, bias.values.slice());
  }
  // In the workbench's order, which checkpoints keep.
  return new Map(specs.map((s) => [s.name, named.get(s.name)!]));
}
