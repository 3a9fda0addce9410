// The trained network as an ONNX graph (opset 13), built from the same configuration and weights as the engine's own
// forward pass (core/model/alexnet.ts), in NCHW: two towers as separate convolutions that meet at conv3 and the fully
// connected layers, LRN within each tower, the centre crop's mean subtracted and the input scaled inside the graph.
import { parameterSpecs } from '../model/alexnet';
import { LRN, type ModelConfig } from '../model/config';

/** A tensor for the graph: float32 values with a shape. */
export interface GraphTensor {
  name: string;
  dims: number[];
  values: Float32Array;
}

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, { ints: number[] } | { int: number } | { float: number } | { string: string }>;
}

export interface Graph {
  nodes: GraphNode[];
  initializers: GraphTensor[];
  /** The graph's input: the centre crop, raw 0..255 RGB, [batch, 3, crop, crop]. */
  input: { name: string; dims: (number | string)[] };
  /** probabilities [batch, classes], logits [batch, classes], fc7 [batch, fc7 width]. */
  outputs: { name: string; dims: (number | string)[] }[];
}

const TOWERS = ['a', 'b'];

/** HWIO (tfjs) to OIHW (ONNX). */
function oihw(values: Float32Array, [h, w, i, o]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) for (let c = 0; c < i!; c++) for (let k = 0; k < o!; k++) out[((k * i! + c) * h! + y) * w! + x] = values[((y * w! + x) * i! + c) * o! + k]!;
  return out;
}

/**
 * The graph of a model. `meanCrop` is the mean image's centre crop at the model's image size, HWC 0..255 (what the
 * engine subtracts from a centre crop), and `scale` the recipe's input scale.
 */
export function alexnetGraph(config: ModelConfig, weights: Map<string, Float32Array>, meanCrop: Float32Array, scale: number): Graph {
  const crop = config.cropSize;
  const towers = TOWERS.slice(0, config.towers);
  const shapes = new Map(parameterSpecs(config).map((spec) => [spec.name, spec.shape]));
  const nodes: GraphNode[] = [];
  const initializers: GraphTensor[] = [];
  const weight = (name: string) => {
    const values = weights.get(name);
    if (!values) throw new Error(`The weights have no '${name}'.`);
    return values;
  };
  const constant = (name: string, dims: number[], values: Float32Array) => {
    initializers.push({ name, dims, values });
    return name;
  };
  const node = (op: string, inputs: string[], output: string, attributes?: GraphNode['attributes']) => {
    nodes.push({ op, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    return output;
  };

  // Preprocessing: (x - mean) * scale, the mean in CHW.
  const meanChw = new Float32Array(3 * crop * crop);
  for (let y = 0; y < crop; y++) for (let x = 0; x < crop; x++) for (let c = 0; c < 3; c++) meanChw[(c * crop + y) * crop + x] = meanCrop[(y * crop + x) * 3 + c]!;
  const centred = node('Sub', ['image', constant('mean_crop', [1, 3, crop, crop], meanChw)], 'centred');
  const input = node('Mul', [centred, constant('input_scale', [], Float32Array.of(scale))], 'input');

  const [poolWindow, poolStride] = config.overlappingPooling ? [3, 2] : [2, 2];
  const convRelu = (x: string, layer: string, tower: string, stride: number, pad: number) => {
    const name = `${layer}/${tower}`;
    const shape = shapes.get(`${name}/kernel`)!; // [height, width, in, out]
    const [h, w, inChannels, out] = shape as [number, number, number, number];
    const kernel = constant(`${name}/kernel`, [out, inChannels, h, w], oihw(weight(`${name}/kernel`), shape));
    const conv = node('Conv', [x, kernel, constant(`${name}/bias`, [out], weight(`${name}/bias`))], `${name}/conv`, {
      kernel_shape: { ints: [h, w] },
      strides: { ints: [stride, stride] },
      pads: { ints: [pad, pad, pad, pad] },
    });
    return node('Relu', [conv], `${name}/relu`);
  };
  // Section 3.3, within each tower; ONNX's LRN divides alpha by the window size, the paper's does not.
  const lrn = (x: string, name: string) => (config.lrn ? node('LRN', [x], `${name}/lrn`, { size: { int: LRN.n }, alpha: { float: LRN.alpha * LRN.n }, beta: { float: LRN.beta }, bias: { float: LRN.k } }) : x);
  const pool = (x: string, name: string) => node('MaxPool', [x], `${name}/pool`, { kernel_shape: { ints: [poolWindow, poolWindow] }, strides: { ints: [poolStride, poolStride] } });
  const concat = (xs: string[], name: string) => (xs.length === 1 ? xs[0]! : node('Concat', xs, name, { axis: { int: 1 } }));

  const p1 = towers.map((t) => pool(lrn(convRelu(input, 'conv1', t, 4, 0), `conv1/${t}`), `conv1/${t}`));
  const p2 = towers.map((t, i) => pool(lrn(convRelu(p1[i]!, 'conv2', t, 1, 2), `conv2/${t}`), `conv2/${t}`));
  const both = concat(p2, 'pool2/both');
  const c3 = towers.map((t) => convRelu(both, 'conv3', t, 1, 1));
  const c4 = towers.map((t, i) => convRelu(c3[i]!, 'conv4', t, 1, 1));
  const p5 = towers.map((t, i) => pool(convRelu(c4[i]!, 'conv5', t, 1, 1), `conv5/${t}`));
  // The engine flattens [batch, height, width, channels]: the same order here, through a transpose to NHWC.
  const nhwc = node('Transpose', [concat(p5, 'pool5/both')], 'pool5/nhwc', { perm: { ints: [0, 2, 3, 1] } });
  const flat = node('Flatten', [nhwc], 'flat', { axis: { int: 1 } });
  const dense = (x: string, name: string, output: string) => {
    const [inputs, outputs] = shapes.get(`${name}/kernel`)! as [number, number];
    return node('Gemm', [x, constant(`${name}/kernel`, [inputs, outputs], weight(`${name}/kernel`)), constant(`${name}/bias`, [outputs], weight(`${name}/bias`))], output);
  };
  const fc6 = node('Relu', [dense(flat, 'fc6', 'fc6/dense')], 'fc6');
  const fc7 = node('Relu', [dense(fc6, 'fc7', 'fc7/dense')], 'fc7'); // the features of section 6.1
  node('Softmax', [dense(fc7, 'fc8', 'logits')], 'probabilities', { axis: { int: 1 } });
  return {
    nodes,
    initializers,
    input: { name: 'image', dims: ['batch', 3, crop, crop] },
    outputs: [
      { name: 'probabilities', dims: ['batch', config.classes] },
      { name: 'logits', dims: ['batch', config.classes] },
      { name: 'fc7', dims: ['batch', config.fcWidths[1]] },
    ],
  };
}
